"""The object store interface: everything that reads or writes lake objects goes through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from retailctl.errors import UnsafeKey

CHUNK_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object without reading it."""

    key: str
    size: int
    etag: str
    last_modified: datetime


@runtime_checkable
class ObjectStore(Protocol):
    """A flat key space of immutable-ish objects: a lake directory or an S3 bucket (plus prefix)."""

    bytes_read: int
    """Bytes this store has returned from object bodies, for tests and benchmarks."""

    local: bool
    """True when reading a whole object costs no more than reading a local file (no download)."""

    def uri(self, key: str) -> str:
        """Where Spark reads or writes ``key``: a local path or an ``s3://`` URI."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, recursively, in key order."""
        ...

    def head(self, key: str) -> ObjectInfo:
        """Size, etag and time of ``key``; raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> bytes:
        """The whole object; raises ObjectNotFound."""
        ...

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """At most ``length`` bytes from offset ``start``; raises ObjectNotFound."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The object's bytes in chunks, never all in memory at once."""
        ...

    def write(self, key: str, data: bytes) -> None:
        """Create or replace ``key`` atomically: readers see the old or the new bytes, never a part."""
        ...

    def upload(self, key: str, path: Path) -> None:
        """Create or replace ``key`` with the contents of a local file."""
        ...

    def create_if_absent(self, key: str, data: bytes) -> bool:
        """Write ``key`` only when it does not exist; False (and nothing written) when it does."""
        ...

    def copy(self, src: str, dst: str) -> None: ...

    def move(self, src: str, dst: str) -> None:
        """Copy then delete; raises ObjectNotFound when ``src`` is gone."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under ``prefix``; returns how many."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that are not plain relative object keys (escape the root, NUL, backslashes...)."""
    if not isinstance(key, str) or key == "":
        raise UnsafeKey(str(key), "empty key")
    if "\x00" in key:
        raise UnsafeKey(key, "contains a NUL byte")
    if "\\" in key:
        raise UnsafeKey(key, "contains a backslash")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise UnsafeKey(key, "is an absolute path")
    parts = key.rstrip("/").split("/")
    if any(part in ("..", ".") for part in parts):
        raise UnsafeKey(key, "has a '.' or '..' segment")
    if any(part == "" for part in parts):
        raise UnsafeKey(key, "has an empty path segment")
    return key
