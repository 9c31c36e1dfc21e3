"""One measured stage, run by :mod:`bench.measure` in its own process: ``python -m bench.child STAGE PARAMS``.

Each stage writes a JSON result to ``$BENCH_RESULT``: the in-process seconds of the work itself
(without interpreter and JVM start), and whatever counts the stage returned.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from retailctl import layout
from retailctl.config import PipelineConfig, load_config
from retailctl.jobs import jvm


def bench_config(lake: str) -> PipelineConfig:
    """The repository's pipeline config (or the packaged one) pointed at ``lake``."""
    return load_config(None, {"local.lake_root": lake})


def plain(value: Any) -> Any:
    """A JSON-ready copy of a stage's return value (dataclasses, ``to_dict`` objects, containers)."""
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def validate(params: dict[str, Any]) -> dict[str, Any]:
    from retailctl.storage import LocalStore
    from retailctl.validation import validate_key

    store = LocalStore(params["lake"])
    config = bench_config(params["lake"])
    started = time.perf_counter()
    outcome = validate_key(store, params["key"], config)
    return {"stage_seconds": time.perf_counter() - started, "bytes_read": store.bytes_read, "result": plain(outcome)}


def silver(params: dict[str, Any]) -> dict[str, Any]:
    from retailctl.jobs.silver_runner import run_silver

    return _spark_stage(
        params,
        lambda spark, store, config: run_silver(spark, store, config),
        lambda store, _: sum(info.size for info in store.list(layout.VALIDATED)),
    )


def gold(params: dict[str, Any]) -> dict[str, Any]:
    from retailctl.jobs.gold_runner import run_gold_compaction, silver_bytes_to_read

    full = bool(params["full"])
    return _spark_stage(
        params,
        lambda spark, store, config: run_gold_compaction(spark, store, config, full=full),
        lambda store, config: silver_bytes_to_read(store, config, full=full),
    )


def spark_baseline(params: dict[str, Any]) -> dict[str, Any]:
    """Bare Spark: CSV to date-partitioned parquet, all columns as text, no validation at all."""
    from pyspark.sql import functions as F

    from retailctl.jobs.spark import build_session

    config = bench_config(params["out"])
    session_started = time.perf_counter()
    spark = build_session(config.spark, os.path.getsize(params["csv"]))
    started = time.perf_counter()
    frame = spark.read.option("header", True).option("quote", '"').option("escape", '"').csv(params["csv"])
    partition = config.dataset.partition_name
    frame = frame.withColumn(partition, F.to_date(F.to_timestamp(config.dataset.partition_column)))
    frame.write.mode("overwrite").partitionBy(partition).parquet(params["out"])
    finished = time.perf_counter()
    jvm.stop_context(spark.sparkContext)
    return {"session_seconds": started - session_started, "stage_seconds": finished - started}


def spark_incremental_baseline(params: dict[str, Any]) -> dict[str, Any]:
    """Bare Spark: the silver files gold has not read, read with a known schema (no inference job) and written
    as date-partitioned parquet with no dedup at all (the least an incremental gold run that adds files beside
    the old ones must do)."""
    from retailctl.jobs.gold_runner import silver_bytes_to_read

    return _spark_stage(params, partial(_write_new_rows, params["out"]), lambda store, config: silver_bytes_to_read(store, config))


def _write_new_rows(out: str, spark: Any, store: Any, config: PipelineConfig) -> dict[str, int]:
    from retailctl.jobs import gold
    from retailctl.jobs.gold_runner import silver_files_to_read

    partition = config.dataset.partition_name
    silver = [info for infos in silver_files_to_read(store, config).values() for info in infos]
    silver_schema = gold.silver_schema(config.dataset)
    frame = spark.read.schema(silver_schema).option("basePath", store.uri(layout.PROCESSED)).parquet(*(store.uri(info.key) for info in silver))
    frame.repartition(partition).write.mode("overwrite").partitionBy(partition).parquet(out)
    return {"silver_files": len(silver)}


def duckdb_silver(params: dict[str, Any]) -> dict[str, Any]:
    from bench import duckdb_reference as reference

    files = [reference.SourceFile(Path(path), delimiter) for path, delimiter in params["files"]]
    started = time.perf_counter()
    counts = reference.silver(files, Path(params["out"]), load_config().dataset)
    return {"stage_seconds": time.perf_counter() - started, "result": plain(counts)}


def duckdb_gold(params: dict[str, Any]) -> dict[str, Any]:
    from bench import duckdb_reference as reference

    started = time.perf_counter()
    rows = reference.gold(Path(params["silver"]), Path(params["out"]), load_config().dataset)
    return {"stage_seconds": time.perf_counter() - started, "result": {"gold_rows": rows}}


def _spark_stage(
    params: dict[str, Any], work: Callable[[Any, Any, PipelineConfig], Any], reads: Callable[[Any, PipelineConfig], int]
) -> dict[str, Any]:
    """Run ``work`` in a session sized as the CLI sizes it, by the bytes ``reads`` says the stage reads."""
    from retailctl.jobs.spark import build_session
    from retailctl.storage import LocalStore

    config = bench_config(params["lake"])
    store = LocalStore(params["lake"])
    session_started = time.perf_counter()
    spark = build_session(config.spark, reads(store, config))
    started = time.perf_counter()
    outcome = work(spark, store, config)
    finished = time.perf_counter()
    jvm.stop_context(spark.sparkContext)
    return {"session_seconds": started - session_started, "stage_seconds": finished - started, "result": plain(outcome)}


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "validate": validate,
    "silver": silver,
    "gold": gold,
    "spark_baseline": spark_baseline,
    "spark_incremental_baseline": spark_incremental_baseline,
    "duckdb_silver": duckdb_silver,
    "duckdb_gold": duckdb_gold,
}


def main(argv: list[str]) -> int:
    stage, params = argv[0], json.loads(argv[1])
    try:
        payload = STAGES[stage](params)
        code = 0
    except Exception as exc:
        payload = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        code = 1
    Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(payload, indent=2, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
