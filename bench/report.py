"""Targets of issue 6, the machine the run was on, and the JSON + markdown written to bench/results/."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results"
MIB = 2**20

Stages = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Target:
    """One row of issue 6's target table: how to measure it from the stages, and the limit."""

    label: str
    measure: Callable[[Stages], float | None]
    limit: float
    unit: str = "x"
    cpu_ratio: Callable[[Stages], float | None] | None = None
    """The same ratio on CPU seconds of the process trees: far less sensitive to a busy machine."""
    side_by_side: tuple[str, str] | None = None
    """The two stages, when the bench runs them in turn (run 1 of each, then run 2...): their ratio run by run."""


def median(stages: Stages, name: str, metric: str = "wall_seconds") -> float | None:
    stage = stages.get(name, {})
    if stage.get("status") != "ok" or metric not in stage.get("summary", {}):
        return None
    return float(stage["summary"][metric]["median"])


def ratio(stages: Stages, top: str, bottom: str, metric: str = "wall_seconds") -> float | None:
    numerator, denominator = median(stages, top, metric), median(stages, bottom, metric)
    return None if numerator is None or not denominator else round(numerator / denominator, 3)


def run_by_run(stages: Stages, top: str, bottom: str) -> list[float] | None:
    """Wall-time ratios of two stages measured in turn, run 1 against run 1 and so on (None unless both ran)."""
    if any(stages.get(name, {}).get("status") != "ok" for name in (top, bottom)):
        return None
    walls = [[sample["wall_seconds"] for sample in stages[name].get("samples", [])] for name in (top, bottom)]
    return [round(above / below, 3) for above, below in zip(*walls, strict=False) if below]


def _wall_and_cpu(label: str, top: str, bottom: str, limit: float, *, side_by_side: bool = False) -> Target:
    return Target(label, lambda s: ratio(s, top, bottom), limit, cpu_ratio=lambda s: ratio(s, top, bottom, "cpu_seconds"),
                  side_by_side=(top, bottom) if side_by_side else None)


def targets(small: str, large: str, many: str) -> list[Target]:
    """Issue 6's targets, labelled with this run's sizes (wall times from process start to exit: each in a JVM of
    its own, and again for those a warm JVM serves)."""
    return [
        _wall_and_cpu(f"silver {large} <= 7x DuckDB reference", "silver_large", "duckdb_silver_large", 7),
        _wall_and_cpu(f"silver {large} <= 1.3x bare Spark CSV->parquet", "silver_large", "spark_baseline_large", 1.3,
                      side_by_side=True),
        _wall_and_cpu(f"gold full {large} <= 6x DuckDB reference", "gold_full", "duckdb_gold", 6),
        _wall_and_cpu("gold incremental (1 new day of 90) <= 15% of gold full", "gold_incremental", "gold_full", 0.15),
        _wall_and_cpu(f"silver {many} vs 1 file of {small} <= 1.5x", "silver_many", "silver_small", 1.5),
        Target("validation of the big file: bytes read <= 1 MiB", lambda s: _bytes_read_mib(s), 1, "MiB"),
        Target("validation of the big file: under 0.1 s", lambda s: median(s, "validation", "stage_seconds"), 0.1, "s"),
        Target("`retailctl ingest` of 1k rows, start to exit <= 12 s", lambda s: median(s, "ingest"), 12, "s"),
        _wall_and_cpu(
            f"silver {large} <= 1.3x bare Spark CSV->parquet, both in the warm JVM of `retailctl spark start`",
            "silver_large_warm",
            "spark_baseline_large_warm",
            1.3,
            side_by_side=True,
        ),
        _wall_and_cpu(
            "gold incremental <= 15% of gold full, both in the warm JVM of `retailctl spark start`",
            "gold_incremental_warm",
            "gold_full_warm",
            0.15,
        ),
        Target("`retailctl ingest` of 1k rows, start to exit <= 12 s, warm JVM", lambda s: median(s, "ingest_warm"), 12, "s"),
        Target(f"peak memory silver {large} <= 1.25x silver {small}", lambda s: ratio(s, "silver_large", "silver_small", "peak_rss_mib"), 1.25),
        Target(f"peak memory silver {large} <= 4 GiB", lambda s: median(s, "silver_large", "peak_rss_mib"), 4096, "MiB"),
        _wall_and_cpu(f"growth: silver {large} / silver {small} <= 5x", "silver_large", "silver_small", 5),
    ]


def evaluate(stages: Stages, small: str, large: str, many: str) -> list[dict[str, Any]]:
    rows = []
    for target in targets(small, large, many):
        value = target.measure(stages)
        status = "not available" if value is None else ("met" if value <= target.limit else "missed")
        cpu = target.cpu_ratio(stages) if target.cpu_ratio else None
        pairs = run_by_run(stages, *target.side_by_side) if target.side_by_side else None
        rows.append({"target": target.label, "measured": value, "limit": target.limit, "unit": target.unit,
                     "status": status, "cpu_ratio": cpu, "run_by_run": pairs})
    return rows


FLOORS: tuple[tuple[str, str, str, bool], ...] = (
    ("bare write of 1 new day by date (no dedup) / gold full: the least the incremental's ratio "
     "can be in a JVM of its own", "spark_incremental_baseline", "gold_full", False),
    ("gold incremental / that bare write", "gold_incremental", "spark_incremental_baseline", True),
)
"""Ratios that are not targets but bound them: what bare Spark alone costs for the same work (and whether
the bench runs the two stages in turn)."""


def floors(stages: Stages) -> list[dict[str, Any]]:
    return [{"what": what, "measured": ratio(stages, top, bottom), "cpu_ratio": ratio(stages, top, bottom, "cpu_seconds"),
             "run_by_run": run_by_run(stages, top, bottom) if in_turn else None}
            for what, top, bottom, in_turn in FLOORS]


def _bytes_read_mib(stages: Stages) -> float | None:
    stage = stages.get("validation", {})
    if stage.get("status") != "ok":
        return None
    return round(stage["bytes_read_max"] / MIB, 4)


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model and the versions that matter, for reading the numbers later."""
    import duckdb
    import pyspark

    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else ""
    return {
        "cpu_model": cpu or platform.processor(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "duckdb": duckdb.__version__,
        "java": _command_output(["java", "-version"]),
        "commit": os.environ.get("BENCH_COMMIT") or _commit(),
    }


def _commit() -> str:
    """The checked-out commit, flagged when the retailctl sources differ from it."""
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "retailctl"], capture_output=True, check=False)
    return _command_output(["git", "rev-parse", "--short", "HEAD"]) + (" + uncommitted changes" if dirty.returncode else "")


def _command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


SMALLER_SIZES = ("Issue 6 sets these targets for the full sizes (1M and 5M rows, 200 files, a 1 GiB file); at smaller "
                 "sizes the start of a JVM and its first-time work weigh more, so these rows show a trend, not the verdict.")


def write(document: dict[str, Any], directory: Path = RESULTS) -> tuple[Path, Path]:
    """``<mode>.json`` and ``<mode>.md`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    mode = document["mode"]
    json_path, md_path = directory / f"{mode}.json", directory / f"{mode}.md"
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    md_path.write_text(markdown(document))
    return json_path, md_path


def markdown(document: dict[str, Any]) -> str:
    box = document["machine"]
    lines = [
        f"# retailctl benchmark - {document['mode']} ({document['finished_at']})",
        "",
        f"Machine: {box['cpu_model']}, {box['logical_cores']} logical cores, {box['memory_gib']} GiB; "
        f"Python {box['python']}, PySpark {box['pyspark']}, DuckDB {box['duckdb']}, {box['java']}; commit {box['commit']}.",
        f"Each stage: median of {document['runs']} runs (min-max), wall time from process start to exit "
        "(a cold interpreter and JVM included); in-process seconds exclude start-up; peak memory is the RSS "
        "of the whole process tree (JVM included) sampled every 50 ms.",
        "",
        "| stage | rows | wall s median (min-max) | in-process s | CPU s | rows/s | peak MiB median (min-max) | vs DuckDB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    stages = document["stages"]
    for name, stage in stages.items():
        if stage["status"] != "ok":
            lines.append(f"| {stage['label']} | {stage.get('rows', '')} | {stage['status']}: {stage.get('note', '')} | | | | | |")
            continue
        summary = stage["summary"]
        inner = summary.get("stage_seconds", {}).get("median", "")
        versus = ratio(stages, name, stage["reference"]) if stage.get("reference") else None
        lines.append(
            f"| {stage['label']} | {summary['rows']:,} | {_spread(summary['wall_seconds'])} | {inner} | "
            f"{summary.get('cpu_seconds', {}).get('median', '')} | "
            f"{summary['rows_per_second'] or '':,} | {_spread(summary['peak_rss_mib'], 0)} | "
            f"{f'{versus}x' if versus is not None else ''} |"
        )
    lines += ["", "## Targets (issue 6)", "",
              "Judged on median wall times; the CPU-time ratio of the same process trees is shown beside them."
              + ("" if document["mode"] == "full" else f" {SMALLER_SIZES}"), "",
              "| target | measured (wall) | same ratio on CPU s | limit | status | run by run (wall) |",
              "|---|---:|---:|---:|---|---:|"]
    for row in document["targets"]:
        measured = "" if row["measured"] is None else f"{row['measured']} {row['unit']}"
        cpu = "" if row.get("cpu_ratio") is None else f"{row['cpu_ratio']} {row['unit']}"
        lines.append(f"| {row['target']} | {measured} | {cpu} | {row['limit']} {row['unit']} | **{row['status']}** | "
                     f"{_in_turn(row.get('run_by_run'))} |")
    lines += ["", "## Floors (bare Spark, same run; not targets)", "",
              "| ratio | wall | CPU s | run by run (wall) |", "|---|---:|---:|---:|"]
    for row in document.get("floors", []):
        lines.append(f"| {row['what']} | {_ratio(row['measured'])} | {_ratio(row['cpu_ratio'])} | {_in_turn(row.get('run_by_run'))} |")
    lines += ["", "## Row counts: pipeline vs DuckDB reference vs generator", "",
              "| check | pipeline | DuckDB | generator | equal |", "|---|---:|---:|---:|---|"]
    for check in document["checks"]:
        lines.append(
            f"| {check['what']} | {_count(check['pipeline'])} | {_count(check.get('duckdb'))} | "
            f"{_count(check.get('generator'))} | {'yes' if check['equal'] else '**NO**'} |"
        )
    if document.get("notes"):
        lines += ["", "## Notes", "", *[f"- {note}" for note in document["notes"]]]
    return "\n".join(lines) + "\n"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value} x"


def _in_turn(ratios: list[float] | None) -> str:
    return ", ".join(f"{value} x" for value in ratios or [])


def _spread(spread: dict[str, float], digits: int = 2) -> str:
    return f"{spread['median']:.{digits}f} ({spread['min']:.{digits}f}-{spread['max']:.{digits}f})"


def _count(value: Any) -> str:
    return "" if value is None else f"{value:,}"
