"""Object stores: one interface, a local directory and an S3 implementation."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from retailctl.config import PipelineConfig
from retailctl.errors import ObjectNotFound
from retailctl.storage.base import ObjectInfo, ObjectStore, check_key
from retailctl.storage.local import LocalStore

__all__ = [
    "LocalStore",
    "ObjectInfo",
    "ObjectStore",
    "check_key",
    "json_bytes",
    "json_default",
    "open_store",
    "read_json",
    "read_json_or",
    "sha256_of",
    "write_json",
]


def open_store(config: PipelineConfig) -> ObjectStore:
    """The store the config's backend names: the lake directory, or the S3 bucket (plus prefix)."""
    if config.backend == "aws":
        from retailctl.storage.s3 import S3Store

        return S3Store(config.aws.bucket, prefix=config.aws.prefix, region=config.aws.region)
    return LocalStore(config.local.lake_root)


def sha256_of(store: ObjectStore, key: str) -> str:
    """The sha256 of an object's bytes, read in chunks."""
    digest = hashlib.sha256()
    for chunk in store.iter_chunks(key):
        digest.update(chunk)
    return digest.hexdigest()


def read_json(store: ObjectStore, key: str) -> Any:
    """Parse the JSON object at ``key``; raises ObjectNotFound."""
    return json.loads(store.read(key))


def read_json_or(store: ObjectStore, key: str, default: Any) -> Any:
    """Parse the JSON object at ``key``, or ``default`` when it does not exist."""
    try:
        return read_json(store, key)
    except ObjectNotFound:
        return default


def json_bytes(payload: Any) -> bytes:
    """The canonical encoding of lake JSON records: UTF-8, indented, keys in order written."""
    return (json.dumps(payload, indent=2, ensure_ascii=False, default=json_default) + "\n").encode()


def write_json(store: ObjectStore, key: str, payload: Any) -> None:
    store.write(key, json_bytes(payload))


def json_default(value: Any) -> Any:
    """How lake records and ``--json`` output encode dates, paths, sets and objects with ``to_dict``."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
