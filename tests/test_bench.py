"""`python -m bench` plumbing on tiny inputs, without Spark: generation, child processes, DuckDB reference, results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_bench_runs_the_reference_and_validation_and_writes_results(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "2000,3000,2,500", "--runs", "1", "--only", "validation,duckdb",
         "--data", str(tmp_path / "data"), "--results", str(results)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((results / "custom.json").read_text())
    stages = document["stages"]
    for name in ("duckdb_silver_small", "duckdb_silver_large", "duckdb_gold"):
        assert stages[name]["status"] == "ok"
        assert stages[name]["summary"]["peak_rss_mib"]["median"] > 0
    small, large = document["inputs"]["small"], document["inputs"]["large"]
    assert stages["duckdb_silver_small"]["counts"] == {
        "rows_read": small["rows"], "rows_valid": small["valid_rows"], "rows_rejected": small["invalid_rows"]
    }
    assert stages["duckdb_gold"]["counts"]["gold_rows"] == large["expected_distinct_keys"]
    assert stages["validation"]["status"] in ("ok", "not available")
    statuses = {row["target"]: row["status"] for row in document["targets"]}
    assert statuses["validation of the big file: bytes read <= 1 MiB"] in ("met", "not available")
    assert "| DuckDB reference gold" in (results / "custom.md").read_text()


def test_floors_and_side_by_side_targets_show_their_ratios_run_by_run_in_the_markdown() -> None:
    from bench import report

    def stage(wall: float, cpu: float, *runs: float) -> dict[str, object]:
        return {"status": "ok", "summary": {"wall_seconds": {"median": wall}, "cpu_seconds": {"median": cpu}},
                "samples": [{"wall_seconds": run} for run in runs]}

    stages = {"gold_full": stage(50, 100), "gold_incremental": stage(8, 12, 8, 9, 7),
              "spark_incremental_baseline": stage(6.4, 10, 6.4, 6, 7)}
    rows = report.floors(stages)
    assert [(row["measured"], row["cpu_ratio"], row["run_by_run"]) for row in rows] == [
        (0.128, 0.1, None), (1.25, 1.2, [1.25, 1.5, 1.0])
    ]
    assert report.floors({"gold_full": stage(50, 100)})[0]["measured"] is None
    side = {"silver_large": stage(26, 49, 26, 27), "spark_baseline_large": stage(20, 33, 20, 18)}
    by_target = {row["target"]: row["run_by_run"] for row in report.evaluate(side, "1M rows", "5M rows", "200 files")}
    assert by_target["silver 5M rows <= 1.3x bare Spark CSV->parquet"] == [1.3, 1.5]
    assert by_target["gold full 5M rows <= 6x DuckDB reference"] is None

    document = {
        "mode": "custom", "finished_at": "now", "runs": 1, "stages": {}, "targets": [], "checks": [], "floors": rows,
        "machine": {key: "?" for key in ("cpu_model", "logical_cores", "memory_gib", "python", "pyspark", "duckdb", "java", "commit")},
    }
    text = report.markdown(document)
    assert "## Floors" in text and "| gold incremental / that bare write | 1.25 x | 1.2 x | 1.25 x, 1.5 x, 1.0 x |" in text
    assert report.SMALLER_SIZES in text and report.SMALLER_SIZES not in report.markdown({**document, "mode": "full"})
