"""Parquet objects read through each store: footers and single columns with ranged reads only."""

from __future__ import annotations

import hashlib
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retailctl.errors import InvariantBroken
from retailctl.storage import ObjectStore
from retailctl.storage.parquet import open_parquet, parquet_footer, value_counts

KEY = "processed/date=2024-03-01/part-00000.parquet"


def put_parquet(store: ObjectStore, rows: int, row_group_size: int, run_ids: list[str | None] | None = None) -> bytes:
    table = pa.table({
        "ingest_run_id": pa.array(run_ids or [f"R{n % 3}" for n in range(rows)]).dictionary_encode(),
        "raw_row": [hashlib.sha256(str(n).encode()).hexdigest() * 2 for n in range(rows)],
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=row_group_size)
    store.write(KEY, buffer.getvalue())
    return buffer.getvalue()


def test_the_footer_matches_pyarrow_and_reads_only_the_tail(any_store: ObjectStore) -> None:
    data = put_parquet(any_store, 2_000, 500)

    footer = parquet_footer(any_store, any_store.head(KEY))

    assert footer.num_rows == 2_000 and footer.num_row_groups == 4
    assert footer.schema.names == pq.read_metadata(pa.BufferReader(data)).schema.names


def counting_reads(store: ObjectStore) -> list[int]:
    """The lengths of the store's ranged reads from now on."""
    reads: list[int] = []
    read_range = store.read_range

    def counted(key: str, start: int, length: int) -> bytes:
        data = read_range(key, start, length)
        reads.append(len(data))
        return data

    store.read_range = counted  # type: ignore[method-assign]
    return reads


def test_one_column_is_read_without_the_others(any_store: ObjectStore) -> None:
    put_parquet(any_store, 20_000, 5_000)
    reads = counting_reads(any_store)
    with open_parquet(any_store, any_store.head(KEY)) as parquet:
        table = parquet.read(columns=["ingest_run_id"])

    assert table.column_names == ["ingest_run_id"] and table.num_rows == 20_000
    assert table.column(0).to_pylist()[:4] == ["R0", "R1", "R2", "R0"]
    assert sum(reads) < any_store.head(KEY).size / 4, "the raw_row chunks were not read"


@pytest.mark.parametrize(
    ("run_ids", "expected"),
    [
        (["R7"] * 20_000, {"R7": 20_000}),
        (["R7"] * 19_999 + ["R8"], {"R7": 19_999, "R8": 1}),
        (["R7"] * 10_000 + ["R8"] * 10_000, {"R7": 10_000, "R8": 10_000}),
        (["R7"] * 19_999 + [None], {"R7": 19_999, None: 1}),
    ],
    ids=["one value", "a second value", "a value a row group", "a NULL"],
)
def test_value_counts_come_from_the_footer_only_when_it_shows_one_value(
    any_store: ObjectStore, run_ids: list[str | None], expected: dict[str | None, int]
) -> None:
    data = put_parquet(any_store, 20_000, 5_000, run_ids)
    reads = counting_reads(any_store)

    counts = value_counts(any_store, any_store.head(KEY), "ingest_run_id")

    assert counts == expected
    assert reads[0] == min(len(data), 64 * 1024), "the footer is read first"
    assert (len(reads) == 1) is (len(expected) == 1), "the column is read unless the footer shows one value"


def test_an_object_that_is_not_parquet_is_named(any_store: ObjectStore) -> None:
    any_store.write("processed/date=2024-03-01/broken.parquet", b"not parquet at all")

    with pytest.raises(InvariantBroken, match=r"broken\.parquet"):
        parquet_footer(any_store, any_store.head("processed/date=2024-03-01/broken.parquet"))
