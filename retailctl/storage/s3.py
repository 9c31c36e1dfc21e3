"""S3Store: the lake in an S3 bucket (plus an optional key prefix), through boto3.

Every botocore error is translated here into the project's own StorageError / ObjectNotFound,
so nothing above this module knows botocore.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from retailctl.errors import ObjectNotFound, StorageError
from retailctl.storage.base import CHUNK_SIZE, ObjectInfo, check_key

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_ALREADY_EXISTS_CODES = frozenset({"412", "PreconditionFailed", "409", "ConditionalRequestConflict"})
_RANGE_NOT_SATISFIABLE_CODES = frozenset({"416", "InvalidRange"})
_DELETE_BATCH = 1000
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, multipart_chunksize=64 * 1024 * 1024)


class S3Store:
    """Objects are S3 objects under ``s3://bucket/prefix/``; the boto3 client is injected or built lazily."""

    local = False

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        session: Any = None,
        region: str | None = None,
    ) -> None:
        if not bucket:
            raise StorageError("an S3 store needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.region = region
        self.bytes_read = 0
        self._client = client
        self._session = session

    def __repr__(self) -> str:
        return f"S3Store({self.uri('')!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client, built on first use from the session (or the default one) and region."""
        if self._client is None:
            session = self._session or boto3.session.Session()
            with self._translated("create an S3 client for", ""):
                self._client = session.client("s3", region_name=self.region)
        return self._client

    def uri(self, key: str) -> str:
        full = self._full_key(key) if key else self.prefix
        return f"s3://{self.bucket}/{full}" if full else f"s3://{self.bucket}"

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` in key order.

        Amazon S3 lists in UTF-8 binary order, but some S3-compatible servers (SeaweedFS) list
        directory by directory (``a/b/c`` before ``a/b.csv``), so the listing is sorted here.
        """
        if prefix:
            check_key(prefix)
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        paginator = self.client.get_paginator("list_objects_v2")
        with self._translated("list", prefix):
            found = [
                ObjectInfo(
                    key=self._relative_key(item["Key"]),
                    size=item["Size"],
                    etag=item["ETag"].strip('"'),
                    last_modified=item["LastModified"],
                )
                for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix)
                for item in page.get("Contents", [])
            ]
        yield from sorted(found, key=lambda info: info.key.encode())

    def head(self, key: str) -> ObjectInfo:
        with self._translated("head", key):
            response = self.client.head_object(Bucket=self.bucket, Key=self._full_key(key))
        return ObjectInfo(
            key=key,
            size=response["ContentLength"],
            etag=response["ETag"].strip('"'),
            last_modified=response["LastModified"],
        )

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except ObjectNotFound:
            return False
        return True

    def read(self, key: str) -> bytes:
        with self._translated("read", key):
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=self._full_key(key))["Body"].read()
        self.bytes_read += len(data)
        return data

    def read_range(self, key: str, start: int, length: int) -> bytes:
        if length <= 0:
            self.head(key)
            return b""
        try:
            with self._translated("read a range of", key):
                response = self.client.get_object(
                    Bucket=self.bucket, Key=self._full_key(key), Range=f"bytes={start}-{start + length - 1}"
                )
                data: bytes = response["Body"].read()
        except StorageError as error:
            if _error_code(error.__cause__) in _RANGE_NOT_SATISFIABLE_CODES:
                return b""
            raise
        self.bytes_read += len(data)
        return data

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with self._translated("read", key):
            body = self.client.get_object(Bucket=self.bucket, Key=self._full_key(key))["Body"]
            try:
                for chunk in body.iter_chunks(chunk_size):
                    self.bytes_read += len(chunk)
                    yield chunk
            finally:
                body.close()

    def write(self, key: str, data: bytes) -> None:
        with self._translated("write", key):
            self.client.put_object(Bucket=self.bucket, Key=self._full_key(key), Body=data)

    def upload(self, key: str, path: Path) -> None:
        with self._translated(f"upload {path} to", key):
            self.client.upload_file(str(path), self.bucket, self._full_key(key), Config=_TRANSFER)

    def create_if_absent(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if absent, with an S3 conditional write (``If-None-Match: *``).

        The server decides atomically: Amazon S3 since 2024-08, SeaweedFS since 3.97 (race-free under
        concurrent PUTs since 4.17). A 412 (exists) or 409 (a concurrent write won) means False.
        """
        try:
            with self._translated("create", key):
                self.client.put_object(
                    Bucket=self.bucket, Key=self._full_key(key), Body=data, IfNoneMatch="*"
                )
        except StorageError as error:
            if _error_code(error.__cause__) in _ALREADY_EXISTS_CODES:
                return False
            raise
        return True

    def copy(self, src: str, dst: str) -> None:
        source = {"Bucket": self.bucket, "Key": self._full_key(src)}
        with self._translated(f"copy {self.uri(src)} to", dst, missing=src):
            self.client.copy(source, self.bucket, self._full_key(dst), Config=_TRANSFER)

    def move(self, src: str, dst: str) -> None:
        self.copy(src, dst)
        self.delete(src)

    def move_refused(self, key: str, dst: str) -> None:
        """Move an object whose key :func:`check_key` refuses (S3 allows ``\\``, empty and ``..`` segments) to ``dst``.

        S3 only: a local lake's raw/ files come through ``ingest``, which refuses such names before copying.
        """
        source = {"Bucket": self.bucket, "Key": f"{self.prefix}/{key}" if self.prefix else key}
        with self._translated(f"copy s3://{self.bucket}/{source['Key']} to", dst, missing=key):
            self.client.copy(source, self.bucket, self._full_key(dst), Config=_TRANSFER)
            self.client.delete_object(**source)

    def delete(self, key: str) -> None:
        with self._translated("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._full_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            with self._translated("delete objects under", prefix):
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self._full_key(key)} for key in batch], "Quiet": True},
                )
            if errors := response.get("Errors"):
                failed = ", ".join(f"{error.get('Key')} ({error.get('Code')})" for error in errors[:5])
                raise StorageError(
                    f"could not delete {len(errors)} object(s) under {self.uri(prefix)}: {failed}"
                )
        return len(keys)

    def _full_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative_key(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    @contextmanager
    def _translated(self, action: str, key: str, *, missing: str | None = None) -> Iterator[None]:
        """Turn botocore errors into ObjectNotFound (naming ``missing`` or ``key``) or StorageError."""
        try:
            yield
        except ClientError as error:
            code = _error_code(error)
            if code in _NOT_FOUND_CODES:
                raise ObjectNotFound(missing or key) from error
            message = error.response.get("Error", {}).get("Message", "")
            raise StorageError(f"could not {action} {self.uri(key)}: {code} {message}".rstrip()) from error
        except BotoCoreError as error:
            raise StorageError(f"could not {action} {self.uri(key)}: {error}") from error


def _error_code(error: BaseException | None) -> str:
    if not isinstance(error, ClientError):
        return ""
    return str(error.response.get("Error", {}).get("Code", ""))
