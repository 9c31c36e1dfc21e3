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
