"""``python -m bench [--quick]``: generate the inputs, measure every stage, check counts, write results."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import duckdb_reference as reference
from bench import report
from bench.data import (
    DATA,
    FULL,
    QUICK,
    Input,
    Inputs,
    Sizes,
    ensure_inputs,
    fresh_dir,
    link_or_copy,
    place_and_validate,
    snapshot,
)
from bench.measure import REPO, Sample, run_command, run_stage, summarize
from retailctl.config import PipelineConfig, load_config

ENTRY_POINTS = {
    "validation": ("retailctl.validation", "validate_key"),
    "silver": ("retailctl.jobs.silver_runner", "run_silver"),
    "gold": ("retailctl.jobs.gold_runner", "run_gold_compaction"),
}


def available(area: str) -> str | None:
    """None when the pipeline entry point of ``area`` can be imported, else why not."""
    module_name, attribute = ENTRY_POINTS[area]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return f"{module_name} not importable ({exc})"
    return None if hasattr(module, attribute) else f"{module_name}.{attribute} does not exist yet"


def human(rows: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if rows >= size and rows % size == 0:
            return f"{rows // size}{suffix} rows"
    return f"{rows:,} rows"


def file_counts(result: Any) -> dict[str, int]:
    """Sum rows_read / rows_valid / rows_rejected over the innermost per-file entries of a silver result."""
    totals = {"rows_read": 0, "rows_valid": 0, "rows_rejected": 0}

    def walk(node: Any) -> bool:
        found = False
        if isinstance(node, dict):
            found = any([walk(v) for v in node.values()])
            if not found and "rows_read" in node:
                for key in totals:
                    totals[key] += int(node.get(key) or 0)
                return True
        elif isinstance(node, list):
            found = any([walk(v) for v in node])
        return found

    walk(result)
    return totals


@dataclass(frozen=True)
class Jvm:
    """Where a stage's Spark runs: a JVM of its own (cold), or the warm JVM ``retailctl spark start`` keeps."""

    env: dict[str, str]
    pids: tuple[int, ...] = ()
    """The warm JVM's processes: outside the measured tree, counted in its memory and CPU time."""
    suffix: str = ""


COLD = Jvm({"RETAILCTL_SPARK_WARM": "false"})


@dataclass(frozen=True)
class Partner:
    """A stage measured beside another (see :meth:`Bench.measure`)."""

    name: str
    label: str
    rows: int
    once: Callable[[int], Sample]


def _summarize(entry: dict[str, Any], samples: list[Sample], rows: int) -> None:
    entry["summary"] = summarize(samples, rows, "stage_seconds")
    entry["samples"] = [
        {k: v for k, v in s.result.items() if k in ("stage_seconds", "session_seconds", "bytes_read")}
        | {"wall_seconds": round(s.wall_seconds, 3), "cpu_seconds": round(s.cpu_seconds, 2),
           "peak_rss_mib": round(s.peak_rss_bytes / 2**20, 1)}
        for s in samples
    ]


class Bench:
    """One benchmark invocation: its inputs, its work directory, what it measured and checked."""

    def __init__(self, sizes: Sizes, inputs: Inputs, runs: int, work: Path) -> None:
        self.sizes = sizes
        self.inputs = inputs
        self.runs = runs
        self.work = work
        self.config: PipelineConfig = load_config(None, {"local.lake_root": str(work / "lake")})
        self.stages: dict[str, dict[str, Any]] = {}
        self.checks: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.reference_counts: dict[str, dict[str, int]] = {}

    def measure(
        self,
        name: str,
        label: str,
        rows: int,
        once: Callable[[int], Sample],
        *,
        needs: str | None = None,
        reference_stage: str | None = None,
        beside: Partner | None = None,
    ) -> list[Sample]:
        """Run ``once`` self.runs times; record the summary, or why the stage failed or could not run.

        ``beside``: a stage this one is compared with, run right after each of its runs, so that both sides
        of the ratio meet the machine in the same state (its speed drifts within minutes)."""
        series = [(*self._series(name, label, rows, needs, reference_stage), once)]
        if beside is not None:
            series.append((*self._series(beside.name, beside.label, beside.rows, None, None), beside.once))
        for index in range(self.runs):
            for entry, samples, work in series:
                if entry["status"] == "ok":
                    self._run(entry, work, index, samples)
        for entry, samples, _ in series:
            if entry["status"] == "ok":
                _summarize(entry, samples, entry["rows"])
        return series[0][1]

    def _series(self, name: str, label: str, rows: int, needs: str | None, reference_stage: str | None) -> tuple[dict[str, Any], list[Sample]]:
        entry: dict[str, Any] = {"label": label, "rows": rows, "status": "ok", "reference": reference_stage}
        self.stages[name] = entry
        missing = available(needs) if needs else None
        if missing:
            entry.update(status="not available", note=missing)
            print(f"  {label}: not available ({missing})", flush=True)
        return entry, []

    @staticmethod
    def _run(entry: dict[str, Any], once: Callable[[int], Sample], index: int, samples: list[Sample]) -> None:
        sample = once(index)
        samples.append(sample)
        print(f"  {entry['label']}: run {index + 1}: {sample.wall_seconds:.2f} s, {sample.cpu_seconds:.1f} CPU s, "
              f"{sample.peak_rss_bytes / 2**20:.0f} MiB{'' if sample.ok else ' FAILED'}", flush=True)
        if not sample.ok:
            error = sample.result.get("error") or f"exit code {sample.returncode}"
            entry.update(status="failed", note=error, traceback=sample.result.get("traceback") or sample.stderr_tail)

    def check(self, stage: str, what: str, pipeline: int, duckdb: int | None = None, generator: int | None = None) -> None:
        """Record a count the pipeline, the DuckDB reference and the generator must agree on."""
        equal = all(value == pipeline for value in (duckdb, generator) if value is not None)
        self.checks.append(
            {"stage": stage, "what": what, "pipeline": pipeline, "duckdb": duckdb, "generator": generator, "equal": equal}
        )
        if not equal:
            print(f"  COUNT MISMATCH: {what}: pipeline {pipeline}, DuckDB {duckdb}, generator {generator}", flush=True)

    # -- stages ---------------------------------------------------------------------------------------

    def validation(self) -> None:
        source = self.inputs.validation
        lake = self.work / "validation"
        name = "sales validation big file.csv"

        def once(_: int) -> Sample:
            fresh_dir(lake)
            link_or_copy(source.path, lake / "raw" / name)
            return run_stage("validate", {"lake": str(lake), "key": f"raw/{name}"})

        size_mib = source.stats["bytes_written"] / 2**20
        samples = self.measure("validation", f"validation of a {size_mib:,.0f} MiB file", source.rows, once, needs="validation")
        if samples and self.stages["validation"]["status"] == "ok":
            self.stages["validation"]["bytes_read_max"] = max(s.result["bytes_read"] for s in samples)
            outcomes = {s.result["result"].get("outcome") for s in samples}
            if outcomes != {"validated"}:
                self.stages["validation"].update(status="failed", note=f"outcomes {sorted(map(str, outcomes))}")

    def duckdb_silver(self, name: str, source: Input) -> None:
        out = self.work / f"{name}_out"

        def once(_: int) -> Sample:
            return run_stage("duckdb_silver", {"files": [[str(source.path), ","]], "out": str(out)})

        samples = self.measure(name, f"DuckDB reference silver, {human(source.rows)}", source.rows, once)
        if samples and samples[-1].ok:
            self.reference_counts[name] = self.stages[name]["counts"] = file_counts(samples[-1].result["result"])

    def silver(
        self,
        name: str,
        inputs: list[Input],
        reference_stage: str | None,
        keep: Path | None = None,
        jvm: Jvm = COLD,
        beside: Partner | None = None,
    ) -> None:
        lake = self.work / "lake"
        rows = sum(item.rows for item in inputs)
        label = f"silver, {human(rows)}" + (f" in {len(inputs)} files" if len(inputs) > 1 else "") + _label(jvm)

        def once(_: int) -> Sample:
            fresh_dir(lake)
            place_and_validate(lake, inputs, self.config)
            return run_stage("silver", {"lake": str(lake)}, jvm.env, jvm.pids)

        samples = self.measure(name, label, rows, once, needs="silver", reference_stage=reference_stage, beside=beside)
        if not samples or self.stages[name]["status"] != "ok":
            return
        counts = file_counts(samples[-1].result["result"])
        duck = self.reference_counts.get(reference_stage or "", {})
        expected_valid = sum(int(item.stats["valid_rows"]) for item in inputs)
        expected_rejected = sum(int(item.stats["invalid_rows"]) for item in inputs)
        self.check(name, f"{label}: rows read", counts["rows_read"], duck.get("rows_read"), rows)
        self.check(name, f"{label}: valid rows", counts["rows_valid"], duck.get("rows_valid"), expected_valid)
        self.check(name, f"{label}: rejected rows", counts["rows_rejected"], duck.get("rows_rejected"), expected_rejected)
        self.check(name, f"{label}: rows in processed/", reference.count_parquet_rows(lake / "processed")["rows"],
                   duck.get("rows_valid"), expected_valid)
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            lake.rename(keep)

    def bare_conversion(self, jvm: Jvm = COLD) -> Partner:
        """Bare Spark's CSV -> date-partitioned parquet of the large file: measured beside silver on it."""
        source = self.inputs.large
        out = self.work / "spark_baseline_out"

        def once(_: int) -> Sample:
            shutil.rmtree(out, ignore_errors=True)
            return run_stage("spark_baseline", {"csv": str(source.path), "out": str(out)}, jvm.env, jvm.pids)

        return Partner("spark_baseline_large" + jvm.suffix,
                       f"bare Spark CSV->date-partitioned parquet, {human(source.rows)}" + _label(jvm), source.rows, once)

    def bare_write(self, base: Path) -> Partner:
        """Bare Spark's write of the new day by date (no dedup): measured beside gold incremental."""
        out = self.work / "spark_incremental_baseline_out"

        def once(_: int) -> Sample:
            shutil.rmtree(out, ignore_errors=True)
            return run_stage("spark_incremental_baseline", {"lake": str(base), "out": str(out)})

        label = f"bare Spark write of 1 new day ({human(self.inputs.new_day.rows)}) by date, no dedup"
        return Partner("spark_incremental_baseline", label, self.inputs.new_day.rows, once)

    def gold_full(self, silver_lake: Path, gold_lake: Path | None, jvm: Jvm = COLD) -> None:
        large = self.inputs.large
        lake = self.work / "lake"
        name, label = "gold_full" + jvm.suffix, f"gold full, {human(large.rows)}" + _label(jvm)
        if not silver_lake.is_dir():
            self.stages[name] = {"label": label, "rows": large.rows, "status": "not available",
                                 "note": "needs the silver lake of the large file"}
            return

        def once(_: int) -> Sample:
            snapshot(silver_lake, lake)
            return run_stage("gold", {"lake": str(lake), "full": True}, jvm.env, jvm.pids)

        samples = self.measure(name, label, large.rows, once, needs="gold", reference_stage="duckdb_gold")
        if samples and self.stages[name]["status"] == "ok":
            duck = self.reference_counts.get("duckdb_gold", {}).get("gold_rows")
            self.gold_checks(name, label, lake, duck, int(large.stats["expected_distinct_keys"]))
            if gold_lake is not None:
                shutil.rmtree(gold_lake, ignore_errors=True)
                lake.rename(gold_lake)

    def gold_checks(self, name: str, label: str, lake: Path, duck: int | None, expected: int) -> None:
        table = lake / "gold" / self.config.dataset.gold_table
        rows = reference.count_parquet_rows(table)["rows"]
        self.check(name, f"{label}: gold rows", rows, duck, expected)
        self.check(name, f"{label}: distinct {self.config.dataset.dedup_key} in gold", reference.distinct_keys(table, self.config.dataset.dedup_key) if rows else 0, None, rows)

    def duckdb_gold(self, silver_out: Path) -> None:
        rows = self.inputs.large.rows

        def once(_: int) -> Sample:
            return run_stage("duckdb_gold", {"silver": str(silver_out), "out": str(self.work / "duckdb_gold_out")})

        samples = self.measure("duckdb_gold", f"DuckDB reference gold, {human(rows)}", rows, once)
        if samples and samples[-1].ok:
            self.reference_counts["duckdb_gold"] = self.stages["duckdb_gold"]["counts"] = samples[-1].result["result"]

    def incremental_base(self, gold_lake: Path) -> Path | str:
        """The gold lake of the full compaction with one new day in silver (made once); why not, as text."""
        base = self.work / "lake_incremental_base"
        if base.is_dir():
            return base
        if not gold_lake.is_dir():
            return "needs the gold lake of the full compaction"
        snapshot(gold_lake, base)
        place_and_validate(base, [self.inputs.new_day], self.config)
        setup = run_stage("silver", {"lake": str(base)}, COLD.env)
        if not setup.ok:
            shutil.rmtree(base, ignore_errors=True)
            return f"set-up silver of the new day failed: {setup.result.get('error')}"
        return base

    def gold_incremental(self, gold_lake: Path, jvm: Jvm = COLD) -> None:
        new_day = self.inputs.new_day
        name = "gold_incremental" + jvm.suffix
        label = f"gold incremental: 1 new day ({human(new_day.rows)}) on a {self.sizes.days}-day lake" + _label(jvm)
        lake = self.work / "lake"
        base = self.incremental_base(gold_lake)
        if isinstance(base, str):
            self.stages[name] = {"label": label, "rows": new_day.rows, "status": "not available", "note": base}
            return

        def once(_: int) -> Sample:
            snapshot(base, lake)
            return run_stage("gold", {"lake": str(lake), "full": False}, jvm.env, jvm.pids)

        samples = self.measure(name, label, new_day.rows, once, needs="gold", beside=None if jvm.suffix else self.bare_write(base))
        if samples and self.stages[name]["status"] == "ok":
            expected = int(self.inputs.large.stats["expected_distinct_keys"]) + int(new_day.stats["expected_distinct_keys"])
            self.gold_checks(name, label, lake, None, expected)

    def ingest(self, jvm: Jvm = COLD) -> None:
        source = self.inputs.ingest
        lake = self.work / "ingest_lake"

        def once(_: int) -> Sample:
            fresh_dir(lake)
            return run_command([*RETAILCTL, "ingest", str(source.path)], {"RETAILCTL_LAKE": str(lake), **jvm.env}, also=jvm.pids)

        self.measure("ingest" + jvm.suffix, f"`retailctl ingest` of {human(source.rows)}, start to exit" + _label(jvm),
                     source.rows, once, needs="validation")

    def warm(self) -> None:
        """Silver and the bare conversion of the large file, gold full, gold incremental and ingest again, each
        command using the warm JVM of `retailctl spark start`."""
        with warm_jvm() as jvm:
            self.silver("silver_large_warm", [self.inputs.large], "duckdb_silver_large", jvm=jvm, beside=self.bare_conversion(jvm))
            self.gold_full(self.work / "lake_silver_large", None, jvm)
            self.gold_incremental(self.work / "lake_gold_large", jvm)
            self.ingest(jvm)


_CLI = Path(sys.executable).with_name("retailctl")
RETAILCTL = [str(_CLI)] if _CLI.exists() else [sys.executable, "-m", "retailctl"]


def prime_jvm_cache(cache: Path, source: Input, work: Path) -> None:
    """Point every stage at a cache of the bench's own and prime it as the README's first command primes a machine.

    A local run's JVM maps the class-data archive the first run with its settings wrote (see
    :mod:`retailctl.jobs.jvm`), so which classes it holds, and how fast a cold stage starts, depends on which
    command came first (one a gold run wrote spared gold incremental 0.15 s against one a silver run wrote in one
    round, nothing measurable against the ingest's in a later one). Here,
    as on a new machine after `make demo`, a 1k-row `retailctl ingest` (validation, silver and gold) writes it,
    unmeasured; the large-input settings' archive is written by the first stage that uses them.
    """
    os.environ["XDG_CACHE_HOME"] = str(cache)
    lake = fresh_dir(work / "priming_lake")
    done = subprocess.run([*RETAILCTL, "ingest", str(source.path)], env={**os.environ, "RETAILCTL_LAKE": str(lake)},
                          capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"set-up: priming the JVM cache failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    shutil.rmtree(lake, ignore_errors=True)


def _label(jvm: Jvm) -> str:
    return ", warm JVM" if jvm.pids else ""


@contextmanager
def warm_jvm() -> Iterator[Jvm]:
    """A warm JVM as a user starts it (warm-up included), stopped afterwards; its processes and the setting that uses it."""
    env = {"RETAILCTL_SPARK_WARM": "true"}
    started = subprocess.run([*RETAILCTL, "--json", "spark", "start"], env={**os.environ, **env}, capture_output=True,
                             text=True, check=True, cwd=REPO)
    running = json.loads(started.stdout)
    print(f"  warm JVM pid {running['jvm_pid']}: "
          + ("already running (left running afterwards)" if running["already_running"] else
             f"ready after {running['ready_after_seconds']} s (warm-up {running['warm_up_seconds']} s)"), flush=True)
    try:
        yield Jvm(env, (running["pid"], running["jvm_pid"]), "_warm")
    finally:
        if not running["already_running"]:
            subprocess.run([*RETAILCTL, "spark", "stop"], env={**os.environ, **env}, capture_output=True, check=False, cwd=REPO)


def _reference(bench: Bench) -> None:
    bench.duckdb_silver("duckdb_silver_small", bench.inputs.small)
    bench.duckdb_silver("duckdb_silver_large", bench.inputs.large)
    bench.duckdb_gold(bench.work / "duckdb_silver_large_out")


def _silver_and_gold(bench: Bench) -> None:
    bench.silver("silver_small", [bench.inputs.small], "duckdb_silver_small")
    bench.silver("silver_large", [bench.inputs.large], "duckdb_silver_large", keep=bench.work / "lake_silver_large",
                 beside=bench.bare_conversion())
    bench.gold_full(bench.work / "lake_silver_large", bench.work / "lake_gold_large")
    bench.gold_incremental(bench.work / "lake_gold_large")


GROUPS: dict[str, Callable[[Bench], None]] = {
    "validation": Bench.validation,
    "duckdb": _reference,
    "pipeline": _silver_and_gold,
    "many": lambda bench: bench.silver("silver_many", bench.inputs.many, None),
    "ingest": Bench.ingest,
    "warm": Bench.warm,
}
"""Stage groups in the order they run (``--only`` picks some); DuckDB first, so silver can compare counts."""

SPARK_GROUPS = {"pipeline", "many", "ingest", "warm"}
"""The groups that start Spark: with any of them, the JVM cache is primed first (:func:`prime_jvm_cache`)."""


def merged_with_previous(document: dict[str, Any], previous_path: Path) -> dict[str, Any]:
    """Stages re-measured with ``--only`` replace theirs in the earlier results of the same mode."""
    if not previous_path.exists():
        return document
    previous = json.loads(previous_path.read_text())
    stages = {**previous["stages"], **document["stages"]}
    remeasured = ", ".join(document["stages"])
    checks = [c for c in previous["checks"] if c.get("stage") not in document["stages"]] + document["checks"]
    small, large, many = document["labels"]
    return {
        **document,
        "started_at": previous["started_at"],
        "stages": stages,
        "checks": checks,
        "targets": report.evaluate(stages, small, large, many),
        "floors": report.floors(stages),
        "notes": [*previous.get("notes", []), f"re-measured at {document['finished_at']}: {remeasured}", *document["notes"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (100k/500k rows, 20 files): a few minutes")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3; the median is reported)")
    parser.add_argument("--data", type=Path, default=DATA, help="where inputs and scratch lakes go (default bench/data)")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where results are written")
    parser.add_argument("--only", help=f"comma-separated stage groups to run (default all: {','.join(GROUPS)})")
    parser.add_argument("--sizes", help="custom sizes SMALL,LARGE,FILES,FILE_ROWS (rows), e.g. 2000,10000,4,500")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.sizes:
        small_rows, large_rows, files, file_rows = (int(v) for v in args.sizes.split(","))
        sizes = Sizes("custom", small_rows, large_rows, files, file_rows, QUICK.validation_bytes // 16)
    started = datetime.now(UTC)
    os.environ.update(COLD.env)
    print(f"bench ({sizes.mode}): generating inputs in {args.data / sizes.mode}", flush=True)
    inputs = ensure_inputs(sizes, args.data)
    work = fresh_dir(args.data / sizes.mode / "work")
    bench = Bench(sizes, inputs, args.runs, work)
    load_before = os.getloadavg()
    only = set(args.only.split(",")) if args.only else set(GROUPS)
    unknown = only - set(GROUPS)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))} (known: {', '.join(GROUPS)})")
    if only & SPARK_GROUPS:
        prime_jvm_cache(args.data / "jvm-cache", inputs.ingest, work)
    for group in GROUPS:
        if group in only:
            GROUPS[group](bench)
    load_after = os.getloadavg()
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        bench.notes.append(
            f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after the run on {os.cpu_count()} cores: "
            "other processes competed for the CPU, so absolute times are inflated; ratios are less affected."
        )
    small, large = human(sizes.small_rows), human(sizes.large_rows)
    many = f"{sizes.many_files} files x {human(sizes.many_file_rows)}"
    document = {
        "mode": sizes.mode,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "machine": {**report.machine(), "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)]},
        "inputs": {name: getattr(inputs, name).stats for name in ("small", "large", "new_day", "validation", "ingest")},
        "stages": bench.stages,
        "labels": [small, large, many],
        "targets": report.evaluate(bench.stages, small, large, many),
        "floors": report.floors(bench.stages),
        "checks": bench.checks,
        "notes": bench.notes,
    }
    if args.only:
        document = merged_with_previous(document, args.results / f"{sizes.mode}.json")
    json_path, md_path = report.write(document, args.results)
    shutil.rmtree(work, ignore_errors=True)
    print(md_path.read_text())
    print(f"results: {json_path} and {md_path}")
    failed = [name for name, stage in bench.stages.items() if stage["status"] == "failed"]
    mismatches = [check["what"] for check in bench.checks if not check["equal"]]
    return 1 if failed or mismatches else 0
