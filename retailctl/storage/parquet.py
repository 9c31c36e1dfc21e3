"""Parquet objects read through the store with ranged reads: footers, or a few columns, never a whole file."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from retailctl.errors import InvariantBroken
from retailctl.storage.base import ObjectInfo, ObjectStore

if TYPE_CHECKING:
    import pyarrow.parquet as pq

_FOOTER_GUESS = 64 * 1024


def parquet_footer(store: ObjectStore, info: ObjectInfo) -> pq.FileMetaData:
    """The footer of one parquet object, read with a ranged read or two (never the data)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tail = store.read_range(info.key, max(0, info.size - _FOOTER_GUESS), min(info.size, _FOOTER_GUESS))
    length = int.from_bytes(tail[-8:-4], "little") + 8
    if tail[-4:] != b"PAR1" or length > info.size:
        raise InvariantBroken(f"{info.key} is not a parquet file (no footer)")
    if length > len(tail):
        tail = store.read_range(info.key, info.size - length, length)
    return pq.read_metadata(pa.BufferReader(b"PAR1" + tail[-length:]))


@contextmanager
def open_parquet(store: ObjectStore, info: ObjectInfo, footer: pq.FileMetaData | None = None) -> Iterator[pq.ParquetFile]:
    """One parquet object opened for reading: the footer (unless given), then only the column chunks a read asks for."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(_RangedObject(store, info), metadata=footer or parquet_footer(store, info)) as parquet:
        yield parquet


def value_counts(store: ObjectStore, info: ObjectInfo, column: str) -> Counter[Any]:
    """How many rows of one parquet object hold each value of ``column``.

    From the footer alone when its statistics show a single value and no NULL in every row group (a
    staged file of one ingest run), else from that column, read alone. The run ids of a 1k-row ingest's
    90 staged gold files: 0.27-0.36 -> 0.13-0.14 s.
    """
    footer = parquet_footer(store, info)
    single = _single_value_counts(footer, column)
    if single is not None:
        return single
    with open_parquet(store, info, footer) as parquet:
        counts = parquet.read(columns=[column]).column(column).value_counts()
    return Counter(dict(zip(counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True)))


def _single_value_counts(footer: pq.FileMetaData, column: str) -> Counter[Any] | None:
    """``{value: rows}`` when every row of ``column`` holds the same value by the footer's statistics; else None."""
    names = footer.schema.names
    if column not in names:
        return None
    values = set()
    for number in range(footer.num_row_groups):
        group = footer.row_group(number)
        stats = group.column(names.index(column)).statistics
        if group.num_rows == 0:
            continue
        if stats is None or not stats.has_min_max or not stats.has_null_count or stats.null_count or stats.min != stats.max:
            return None
        values.add(stats.min)
    if len(values) > 1:
        return None
    return Counter({value: footer.num_rows for value in values})


class _RangedObject(io.RawIOBase):
    """A read-only, seekable file over one object, each read a ranged read of the store."""

    def __init__(self, store: ObjectStore, info: ObjectInfo) -> None:
        super().__init__()
        self._store, self._info, self._position = store, info, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._info.size}[whence]
        self._position = max(0, origin + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        length = min(len(buffer), self._info.size - self._position)
        if length <= 0:
            return 0
        data = self._store.read_range(self._info.key, self._position, length)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
