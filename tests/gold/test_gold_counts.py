"""Counts gold takes from parquet footers, and the key check when absorbed silver has gone since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from retailctl.config import PipelineConfig
from retailctl.jobs.gold_runner import run_gold_compaction
from retailctl.storage import LocalStore
from tests.gold.silver_rows import sale, write_silver

FIRST = datetime(2024, 3, 10, 8, tzinfo=UTC)
LATER = datetime(2024, 3, 11, 8, tzinfo=UTC)


@pytest.mark.spark
def test_the_key_check_counts_silver_again_when_absorbed_files_are_gone(spark: Any, store: LocalStore, config: PipelineConfig) -> None:
    first = write_silver(store, [sale("t1", "2024-03-01"), sale("t2", "2024-03-02")], run_id="R1", ingested_at=FIRST)
    run_gold_compaction(spark, store, config)
    store.delete(first[1])
    write_silver(store, [sale("t1", "2024-03-03"), sale("t3", "2024-03-03")], run_id="R2", ingested_at=LATER)

    summary = run_gold_compaction(spark, store, config)

    assert summary.partitions_rewritten == ["2024-03-01", "2024-03-03"]
    assert summary.check == {"gold_rows": 3, "distinct_silver_keys": 2, "ok": False}
