"""Counts gold takes from parquet footers, and the key check when absorbed silver has gone since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest

from retailctl.config import PipelineConfig
from retailctl.errors import InvariantBroken
from retailctl.jobs.gold_runner import parquet_footer, run_gold_compaction
from retailctl.storage import LocalStore
from tests.gold.silver_rows import sale, write_silver

FIRST = datetime(2024, 3, 10, 8, tzinfo=UTC)
LATER = datetime(2024, 3, 11, 8, tzinfo=UTC)


def test_the_footer_read_through_the_store_matches_pyarrow(store: LocalStore) -> None:
    [key] = write_silver(store, [sale(f"t{n}", "2024-03-01") for n in range(500)], run_id="R1", ingested_at=FIRST)

    footer = parquet_footer(store, store.head(key))

    assert footer.num_rows == pq.read_metadata(store.uri(key)).num_rows == 500
    assert footer.schema.names == pq.read_schema(store.uri(key)).names


def test_an_object_that_is_not_parquet_is_named(store: LocalStore) -> None:
    store.write("processed/date=2024-03-01/broken.parquet", b"not parquet at all")

    with pytest.raises(InvariantBroken, match=r"broken\.parquet"):
        parquet_footer(store, store.head("processed/date=2024-03-01/broken.parquet"))


@pytest.mark.spark
def test_the_key_check_counts_silver_again_when_absorbed_files_are_gone(spark: Any, store: LocalStore, config: PipelineConfig) -> None:
    first = write_silver(store, [sale("t1", "2024-03-01"), sale("t2", "2024-03-02")], run_id="R1", ingested_at=FIRST)
    run_gold_compaction(spark, store, config)
    store.delete(first[1])
    write_silver(store, [sale("t1", "2024-03-03"), sale("t3", "2024-03-03")], run_id="R2", ingested_at=LATER)

    summary = run_gold_compaction(spark, store, config)

    assert summary.partitions_rewritten == ["2024-03-01", "2024-03-03"]
    assert summary.check == {"gold_rows": 3, "distinct_silver_keys": 2, "ok": False}
