"""Deduplication: the latest ingest wins, globally across dates, with deterministic ties."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.errors import UsageError
from retailctl.jobs.gold_runner import DateRange, parse_date_range, run_gold_compaction
from retailctl.storage import LocalStore, read_json
from tests.gold.silver_rows import sale, write_silver

GLUE_SCRIPT = Path(__file__).resolve().parents[2] / "glue_scripts" / "gold_compaction_job.py"
FIRST = datetime(2024, 3, 10, 8, tzinfo=UTC)
LATER = datetime(2024, 3, 11, 8, tzinfo=UTC)


def gold_rows(store: LocalStore) -> dict[str, dict[str, Any]]:
    """Gold read back with pyarrow, by transaction id (asserting each id appears once)."""
    rows = ds.dataset(store.uri("gold/fact_sales"), format="parquet", partitioning="hive").to_table().to_pylist()
    by_key = {row["transaction_id"]: row for row in rows}
    assert len(by_key) == len(rows), "gold holds a transaction id twice"
    return by_key


@pytest.mark.spark
def test_latest_ingest_wins_and_a_moved_transaction_leaves_its_old_date(
    spark: Any, store: LocalStore, config: PipelineConfig
) -> None:
    write_silver(store, [sale("t1", "2024-03-01"), sale("t2", "2024-03-01"), sale("t3", "2024-03-02")], run_id="R1", ingested_at=FIRST)
    run_gold_compaction(spark, store, config)
    write_silver(store, [sale("t1", "2024-03-01", quantity=4), sale("t2", "2024-03-05")], run_id="R2", ingested_at=LATER)

    summary = run_gold_compaction(spark, store, config)

    gold = gold_rows(store)
    assert {key: (row["date"], row["quantity"], row["ingest_run_id"]) for key, row in gold.items()} == {
        "t1": ("2024-03-01", 4, "R2"),
        "t2": ("2024-03-05", 1, "R2"),
        "t3": ("2024-03-02", 1, "R1"),
    }
    assert str(gold["t1"]["net_amount"]) == "10.00"
    assert summary.partitions_rewritten == ["2024-03-01", "2024-03-05"]
    assert summary.partitions_skipped == ["2024-03-02"]
    old_day = read_json(store, layout.gold_metrics_key("2024-03-01"))
    assert (old_day["rows_in"], old_day["rows_out"], old_day["duplicates_removed"], old_day["rows_moved_out"]) == (3, 1, 1, 1)
    assert summary.check == {"gold_rows": 3, "distinct_silver_keys": 3, "ok": True}


@pytest.mark.spark
def test_ties_are_broken_by_run_id_then_file_then_line(spark: Any, store: LocalStore, config: PipelineConfig, gold_plan: str) -> None:
    write_silver(store, [sale("by-run", "2024-03-01", quantity=1)], run_id="R1", ingested_at=FIRST)
    write_silver(store, [sale("by-run", "2024-03-01", quantity=2)], run_id="R2", ingested_at=FIRST)
    write_silver(store, [sale("by-file", "2024-03-01", quantity=3)], run_id="R3", ingested_at=FIRST, source_file="b.csv")
    write_silver(store, [sale("by-file", "2024-03-01", quantity=4)], run_id="R3", ingested_at=FIRST, source_file="a.csv")
    write_silver(
        store,
        [sale("by-line", "2024-03-01", quantity=5), sale("by-line", "2024-03-02", quantity=6)],
        run_id="R4",
        ingested_at=FIRST,
    )

    run_gold_compaction(spark, store, config)

    quantities = {key: row["quantity"] for key, row in gold_rows(store).items()}
    assert quantities == {"by-run": 2, "by-file": 3, "by-line": 6}
    assert gold_rows(store)["by-line"]["date"] == "2024-03-02"


@pytest.mark.spark
def test_full_rebuild_agrees_with_incremental_runs_and_dates_never_resurrect(
    spark: Any, store: LocalStore, config: PipelineConfig, gold_plan: str
) -> None:
    write_silver(store, [sale("t1", "2024-03-01"), sale("t2", "2024-03-01")], run_id="R1", ingested_at=FIRST)
    run_gold_compaction(spark, store, config)
    write_silver(store, [sale("t1", "2024-03-04", quantity=9)], run_id="R2", ingested_at=LATER)
    run_gold_compaction(spark, store, config)
    incremental = gold_rows(store)

    only_first_day = run_gold_compaction(spark, store, config, full=True, dates="2024-03-01")
    assert only_first_day.partitions_rewritten == ["2024-03-01"]
    assert gold_rows(store) == incremental

    everything = run_gold_compaction(spark, store, config, full=True)
    assert everything.mode == "full"
    assert gold_rows(store) == incremental
    assert incremental["t1"]["date"] == "2024-03-04"
    assert everything.check["ok"]


def test_date_ranges_parse_and_explain_mistakes() -> None:
    assert parse_date_range("2024-03-01") == DateRange(datetime(2024, 3, 1).date(), datetime(2024, 3, 1).date())
    assert parse_date_range("2024-03-01:2024-03-31").contains("2024-03-15")
    for wrong, reason in (("2024-3-1", "YYYY-MM-DD"), ("2024-02-30", "day is out of range"), ("2024-03-02:2024-03-01", "ends before")):
        with pytest.raises(UsageError, match=reason):
            parse_date_range(wrong)


@pytest.mark.spark
def test_glue_entry_point_runs_locally(spark: Any, store: LocalStore, lake: Path) -> None:
    write_silver(store, [sale("g1", "2024-03-01"), sale("g1", "2024-03-02")], run_id="R1", ingested_at=FIRST)
    spec = importlib.util.spec_from_file_location("gold_compaction_job", GLUE_SCRIPT)
    assert spec and spec.loader
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)

    summary = job.main(["--lake", str(lake), "--full", "true"])

    assert summary["status"] == "ok"
    assert gold_rows(store)["g1"]["date"] == "2024-03-02"
    assert read_json(store, layout.gold_summary_key())["run_id"] == summary["run_id"]
