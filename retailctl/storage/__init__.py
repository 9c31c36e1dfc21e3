"""Object stores: one interface, a local directory and an S3 implementation."""

from __future__ import annotations

import hashlib

from retailctl.config import PipelineConfig
from retailctl.storage.base import ObjectInfo, ObjectStore, check_key
from retailctl.storage.local import LocalStore

__all__ = ["LocalStore", "ObjectInfo", "ObjectStore", "check_key", "open_store", "sha256_of"]


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
