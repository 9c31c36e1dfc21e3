"""Incremental runs, idempotence, a failure in the middle of a swap, and audit files that agree with gold.

One 30-day lake (three sales a day) is built and compacted once for the module; each test checks what
it changes by content hashes of the gold files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest

from retailctl import layout
from retailctl.config import PipelineConfig, load_config
from retailctl.errors import CompactionFailed
from retailctl.jobs.gold_runner import run_gold_compaction, silver_bytes_to_read
from retailctl.storage import LocalStore, read_json, read_json_or, sha256_of
from tests.gold.silver_rows import days, sale, write_silver

pytestmark = pytest.mark.spark

DAYS = days("2024-01-01", 30)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> Iterator[tuple[LocalStore, PipelineConfig]]:
    root = tmp_path_factory.mktemp("month")
    store = LocalStore(root)
    config = load_config(None, {"local.lake_root": str(root)}, environ={})
    sales = [sale(f"{day}-{n}", day, quantity=n + 1) for day in DAYS for n in range(3)]
    write_silver(store, sales, run_id="R-month", ingested_at=datetime(2024, 2, 1, tzinfo=UTC))
    run_gold_compaction(spark, store, config, full=True)
    yield store, config


def fingerprint(store: LocalStore) -> dict[str, str]:
    """Content hash of every gold file, by key."""
    return {info.key: sha256_of(store, info.key) for info in store.list(layout.gold_table_prefix())}


def changed_partitions(before: dict[str, str], after: dict[str, str]) -> set[str]:
    differing = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return {key.split("date=")[1].split("/")[0] for key in differing}


def test_one_new_day_rewrites_only_that_partition(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = month
    before = fingerprint(store)

    write_silver(store, [sale("new-1", "2024-01-31"), sale("new-2", "2024-01-31")], run_id="R-new", ingested_at=datetime(2024, 2, 2, tzinfo=UTC))
    summary = run_gold_compaction(spark, store, config)

    assert summary.status == "ok"
    assert summary.partitions_rewritten == ["2024-01-31"]
    assert len(summary.partitions_skipped) == 30
    assert changed_partitions(before, fingerprint(store)) == {"2024-01-31"}
    assert summary.check["ok"]


@pytest.mark.parametrize("most_files", [4, 1], ids=["appended", "rewritten"])
def test_new_keys_beyond_every_gold_key_go_beside_their_dates_old_rows(
    spark: Any, month: tuple[LocalStore, PipelineConfig], gold_plan: str, most_files: int
) -> None:
    store, config = with_most_files_per_date(month, most_files)
    run_gold_compaction(spark, store, config)
    day = "2024-01-15" if most_files > 1 else "2024-01-16"
    before = fingerprint(store)
    old_files = {key: digest for key, digest in before.items() if f"date={day}/" in key}
    old_rows = gold_keys_on(store, day)
    later = f"z{len(gold_keys_on(store)):06d}"  # the lake is the module's: each case's ids lie beyond every key before
    resent = [sale(f"{later}-1", day, quantity=1), sale(f"{later}-1", day, quantity=2), sale(f"{later}-2", day)]
    write_silver(store, resent, run_id=f"R-{later}", ingested_at=datetime(2024, 2, 4, tzinfo=UTC))

    summary = run_gold_compaction(spark, store, config)

    after = fingerprint(store)
    assert changed_partitions(before, after) == {day}
    assert gold_keys_on(store, day) == old_rows | {(f"{later}-1", 2), (f"{later}-2", 1)}
    metrics = read_json(store, layout.gold_metrics_key(day))
    files = list(store.list(layout.gold_partition(day)))
    assert (metrics["rows_in"], metrics["rows_out"], metrics["duplicates_removed"]) == (len(old_rows) + 3, len(old_rows) + 2, 1)
    assert (metrics["files_out"], metrics["bytes_out"]) == (len(files), sum(info.size for info in files))
    if most_files > 1:
        assert (summary.partitions_rewritten, summary.partitions_appended) == ([], [day])
        assert old_files.items() <= after.items()
        assert (metrics["files_kept"], len(files)) == (len(old_files), len(old_files) + 1)
    else:
        assert (summary.partitions_rewritten, summary.partitions_appended) == ([day], [])
        assert not old_files.keys() & after.keys()
        assert (metrics["files_kept"], len(files)) == (0, 1)
    every_row = gold_keys_on(store)
    assert summary.check == {"gold_rows": len(every_row), "distinct_silver_keys": len(every_row), "ok": True}


def with_most_files_per_date(month: tuple[LocalStore, PipelineConfig], most: int) -> tuple[LocalStore, PipelineConfig]:
    store, config = month
    return store, replace(config, limits=replace(config.limits, gold_max_files_per_date=most))


def test_a_date_holding_the_most_files_is_rewritten_into_one(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = with_most_files_per_date(month, 2)
    run_gold_compaction(spark, store, config)
    day = "2024-01-20"
    old_rows = gold_keys_on(store, day)

    batches = []
    for batch in ("y1", "y2"):
        write_silver(store, [sale(f"{batch}-1", day)], run_id=f"R-{batch}", ingested_at=datetime(2024, 2, 5, tzinfo=UTC))
        summary = run_gold_compaction(spark, store, config)
        batches.append((summary.partitions_rewritten, summary.partitions_appended, len(list(store.list(layout.gold_partition(day))))))

    assert batches == [([], [day], 2), ([day], [], 1)]
    assert gold_keys_on(store, day) == old_rows | {("y1-1", 1), ("y2-1", 1)}
    assert summary.check["ok"]


def gold_keys_on(store: LocalStore, day: str | None = None) -> set[tuple[str, int]]:
    """(transaction id, quantity) of gold's rows, of one date or all."""
    table = ds.dataset(store.uri("gold/fact_sales"), format="parquet", partitioning="hive").to_table()
    return {(row["transaction_id"], row["quantity"]) for row in table.to_pylist() if day in (None, row["date"])}


def test_a_second_run_with_nothing_new_changes_nothing(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = month
    run_gold_compaction(spark, store, config)
    before = fingerprint(store)

    summary = run_gold_compaction(spark, store, config)

    assert (summary.status, summary.partitions_rewritten, summary.new_silver_files) == ("ok", [], 0)
    assert fingerprint(store) == before


def test_the_session_is_sized_by_the_silver_the_run_will_read(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = month
    run_gold_compaction(spark, store, config)
    every_file = sum(info.size for info in store.list(layout.PROCESSED))
    assert silver_bytes_to_read(store, config) == 0
    assert silver_bytes_to_read(store, config, full=True) == every_file

    written = write_silver(
        store, [sale("sized-1", "2024-01-05"), sale("sized-2", "2024-01-07")], run_id="R-sized", ingested_at=datetime(2024, 2, 3, tzinfo=UTC)
    )
    sizes = [store.head(key).size for key in written]

    assert silver_bytes_to_read(store, config) == sum(sizes)
    assert silver_bytes_to_read(store, config, dates="2024-01-06:2024-01-08") == sizes[1]
    assert silver_bytes_to_read(store, config, full=True, dates="2024-01-05") == sum(
        info.size for info in store.list(layout.PROCESSED) if "date=2024-01-05/" in info.key
    )
    run_gold_compaction(spark, store, config)


def test_a_failure_in_the_middle_of_a_swap_leaves_gold_as_it_was(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = month
    run_gold_compaction(spark, store, config)
    before = fingerprint(store)
    watermark = read_json(store, layout.gold_watermark_key())
    moved = sale("2024-01-05-0", "2024-01-06", quantity=7)
    write_silver(store, [moved], run_id="R-fix", ingested_at=datetime(2024, 2, 3, tzinfo=UTC))

    def fail_while_swapping_the_second_day(step: str) -> None:
        if step == "placed:2024-01-06":
            raise OSError("disk full (injected)")

    with pytest.raises(CompactionFailed, match="disk full") as failure:
        run_gold_compaction(spark, store, config, checkpoint=fail_while_swapping_the_second_day)

    assert fingerprint(store) == before
    assert not list(store.list(layout.STAGING))
    summary = read_json(store, layout.gold_summary_key())
    assert summary["status"] == "failed" and "disk full" in summary["errors"][0]["error"]
    assert failure.value.summary == summary
    assert read_json(store, layout.gold_watermark_key()) == watermark
    notification = read_json(store, layout.notification_key(summary["run_id"]))
    assert "failed" in notification["subject"]

    retried = run_gold_compaction(spark, store, config)
    assert (retried.partitions_rewritten, retried.partitions_appended) == (["2024-01-05"], ["2024-01-06"])
    assert changed_partitions(before, fingerprint(store)) == {"2024-01-05", "2024-01-06"}
    assert retried.check["ok"]


def test_gold_and_audit_files_agree(spark: Any, month: tuple[LocalStore, PipelineConfig]) -> None:
    store, config = month
    run_gold_compaction(spark, store, config, full=True)
    summary = read_json(store, layout.gold_summary_key())
    gold = ds.dataset(store.uri("gold/fact_sales"), format="parquet", partitioning="hive").to_table(columns=["transaction_id", "date"])

    rows_by_day = Counter(gold.column("date").to_pylist())
    keys = gold.column("transaction_id").to_pylist()
    assert len(keys) == len(set(keys)) == summary["check"]["gold_rows"] == summary["totals"]["rows_out"]
    silver_keys = duckdb.sql(
        f"select count(distinct transaction_id) from read_parquet('{Path(store.uri('processed'))}/**/*.parquet')"
    ).fetchall()
    assert silver_keys == [(len(keys),)]
    assert sorted(rows_by_day) == summary["partitions_rewritten"]
    for day, rows in rows_by_day.items():
        metrics = read_json(store, layout.gold_metrics_key(day))
        files = list(store.list(layout.gold_partition(day)))
        assert metrics["run_id"] == summary["run_id"]
        assert metrics["rows_out"] == rows
        assert metrics["files_out"] == len(files) == 1
        assert metrics["bytes_out"] == sum(info.size for info in files)
        assert metrics["rows_in"] == metrics["rows_out"] + metrics["duplicates_removed"] + metrics["rows_moved_out"]
    assert read_json_or(store, layout.gold_run_summary_key(summary["run_id"]), None) == summary
