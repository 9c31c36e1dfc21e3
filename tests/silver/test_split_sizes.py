"""How silver sizes Spark's input splits for a large batch: whole rounds of equal splits per core."""

from __future__ import annotations

import pytest

from retailctl.errors import UsageError
from retailctl.jobs.silver_runner import balanced_split_bytes, spark_size_bytes

MB = 1 << 20


@pytest.mark.parametrize(
    ("total", "cores", "splits"),
    [(385 * MB, 2, 4), (77 * MB, 2, 2), (1024 * MB, 2, 8), (10 * 1024 * MB, 40, 80), (20_000, 2, 2)],
)
def test_splits_come_in_whole_rounds_per_core_and_never_exceed_the_limit(total: int, cores: int, splits: int) -> None:
    size = balanced_split_bytes(total, cores, 128 * MB)
    assert size <= 128 * MB
    assert -(-total // size) == splits


def test_a_small_limit_still_cuts_small_blocks() -> None:
    assert balanced_split_bytes(20_000, 2, 1024) <= 1024


@pytest.mark.parametrize(("text", "expected"), [("134217728b", 128 * MB), ("128m", 128 * MB), ("1g", 1024 * MB), ("1024", 1024)])
def test_spark_size_settings_are_read(text: str, expected: int) -> None:
    assert spark_size_bytes(text) == expected


def test_an_unreadable_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="maxPartitionBytes"):
        spark_size_bytes("lots")
