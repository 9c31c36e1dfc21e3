"""LocalStore: a directory standing in for the bucket."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from retailctl.errors import ObjectNotFound, StorageError
from retailctl.storage.base import CHUNK_SIZE, ObjectInfo, check_key

_TEMP_PREFIX = ".retailctl-tmp-"


class LocalStore:
    """Objects are files under ``root``; every write is a temp file renamed into place."""

    local = True

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.bytes_read = 0

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file that holds ``key``; refuses keys that would escape the root."""
        path = self.root / check_key(key)
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise StorageError(f"refusing key {key!r}: it resolves outside {self.root}")
        return path

    def uri(self, key: str) -> str:
        return str(self.root / key) if key else str(self.root)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if prefix:
            check_key(prefix)
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(_TEMP_PREFIX)]
            for filename in filenames:
                if filename.startswith(_TEMP_PREFIX):
                    continue
                full = Path(dirpath) / filename
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append((key, full))
        for key, full in sorted(found):
            try:
                yield _info(key, full)
            except FileNotFoundError:
                continue

    def head(self, key: str) -> ObjectInfo:
        path = self.path(key)
        try:
            if not path.is_file():
                raise FileNotFoundError(key)
            return _info(key, path)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def read(self, key: str) -> bytes:
        data = self._open(key).read_bytes()
        self.bytes_read += len(data)
        return data

    def read_range(self, key: str, start: int, length: int) -> bytes:
        with self._open(key).open("rb") as handle:
            handle.seek(start)
            data = handle.read(max(0, length))
        self.bytes_read += len(data)
        return data

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with self._open(key).open("rb") as handle:
            while chunk := handle.read(chunk_size):
                self.bytes_read += len(chunk)
                yield chunk

    def write(self, key: str, data: bytes) -> None:
        path = self.path(key)
        temp = self._temp_beside(path)
        try:
            temp.write_bytes(data)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)

    def upload(self, key: str, path: Path) -> None:
        target = self.path(key)
        temp = self._temp_beside(target)
        try:
            shutil.copyfile(path, temp)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def create_if_absent(self, key: str, data: bytes) -> bool:
        path = self.path(key)
        temp = self._temp_beside(path)
        try:
            temp.write_bytes(data)
            os.link(temp, path)
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)
        return True

    def copy(self, src: str, dst: str) -> None:
        self.upload(dst, self._open(src))

    def move(self, src: str, dst: str) -> None:
        source = self._open(src)
        target = self.path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            raise ObjectNotFound(src) from None
        self._prune(source.parent)

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        if prefix.endswith("/") and self.path(prefix).is_dir():
            shutil.rmtree(self.path(prefix), ignore_errors=True)
            self._prune(self.path(prefix).parent)
        return len(keys)

    def _open(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path

    def _temp_beside(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        os.close(handle)
        return Path(name)

    def _prune(self, directory: Path) -> None:
        """Remove directories left empty, up to (not including) the root, as S3 has no folders."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def _info(key: str, path: Path) -> ObjectInfo:
    stat = path.stat()
    etag = hashlib.md5(f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}".encode(), usedforsecurity=False).hexdigest()
    return ObjectInfo(key=key, size=stat.st_size, etag=etag, last_modified=datetime.fromtimestamp(stat.st_mtime, UTC))
