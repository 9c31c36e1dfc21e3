"""AWS Lambda entry point: S3 "object created" events under raw/ -> retailctl's file validator.

Accepts S3 notification records (several per event, keys URL-encoded), the same records wrapped in
SQS messages, and EventBridge "Object Created" events. Keys outside ``<prefix>/raw/`` are ignored; a raw/
object whose key the store refuses (backslashes, ``//``) is validated under a plain name.
Configuration comes from ``RETAILCTL_*`` environment variables; the bucket comes from the event.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from retailctl import layout
from retailctl.config import PipelineConfig, load_config
from retailctl.errors import ObjectNotFound, RetailctlError, UnsafeKey
from retailctl.records import update_ingest_record
from retailctl.storage import ObjectStore, check_key
from retailctl.storage.s3 import S3Store
from retailctl.validation import validate_key

logger = logging.getLogger("retailctl.lambda")
logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class CreatedObject:
    """One object named by an event: its bucket and its decoded S3 key (prefix included)."""

    bucket: str
    key: str
    literal_key: str | None = None
    """EventBridge's key as sent, tried when the decoded one does not exist."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Validate every raw/ object the event names; returns what happened to each one."""
    processed: list[dict[str, Any]] = []
    ignored: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    configs: dict[str, PipelineConfig] = {}
    stores: dict[str, S3Store] = {}
    for created in created_objects(event):
        if created.bucket not in configs:
            configs[created.bucket] = load_config(None, {"backend": "aws", "aws.bucket": created.bucket})
            config = configs[created.bucket]
            region = os.environ.get("AWS_REGION") or config.aws.region
            stores[created.bucket] = S3Store(created.bucket, prefix=config.aws.prefix, region=region)
        config, store = configs[created.bucket], stores[created.bucket]
        try:
            key = _store_key(created, config.aws.prefix, store)
            if key is None or not key.startswith(layout.RAW) or key.endswith("/"):
                ignored.append({"bucket": created.bucket, "key": created.key, "why": "not a file under raw/"})
                continue
            outcome = _validated(store, key, config)
        except UnsafeKey as exc:
            logger.error("s3://%s/%s cannot be handled: %s", created.bucket, created.key, exc)
            ignored.append({"bucket": created.bucket, "key": created.key, "why": str(exc)})
            continue
        except Exception as exc:
            logger.exception("validation of s3://%s/%s failed", created.bucket, created.key)
            failed.append({"bucket": created.bucket, "key": created.key, "error": f"{type(exc).__name__}: {exc}"})
            continue
        _log_line({"bucket": created.bucket, **outcome})
        processed.append(outcome)
    summary = {"processed": processed, "ignored": ignored, "failed": failed, "silver_runs": _start_silver(processed)}
    if failed:
        raise RuntimeError(f"{len(failed)} object(s) could not be validated; the event will be retried: {failed}")
    return summary


def _validated(store: S3Store, key: str, config: PipelineConfig) -> dict[str, Any]:
    """Validate a raw/ object. One whose key the store refuses (a Windows path's ``\\``, ``//``) is moved to
    :func:`retailctl.layout.renamed_key` and validated from there under its :func:`retailctl.layout.plain_name`,
    so that no file stays in raw/ for want of a name (a retried event finds it there, or already handled); its ingest
    record keeps the key it came from (``renamed_from``)."""
    try:
        check_key(key)
    except UnsafeKey as refused:
        name = layout.plain_name(key)
        waiting = layout.renamed_key(name)
        with contextlib.suppress(ObjectNotFound):
            store.move_refused(key, waiting)
            logger.warning("%s: validating it as %s", refused, name)
        outcome = validate_key(store, waiting, config, name=name)
        if outcome.outcome != "already_handled":
            update_ingest_record(store, outcome.ingest_run_id, renamed_from=key)
        return {**outcome.to_dict(), "renamed_from": key}
    return validate_key(store, key, config).to_dict()


def _start_silver(processed: list[dict[str, Any]]) -> list[str]:
    """Start the silver Glue job on the files that passed, when the stack names one.

    A run that cannot start (for example too many concurrent runs) is logged, not raised: the files
    wait in validated/ for the scheduled silver sweep or ``retailctl run-silver --backend aws``.
    """
    job = os.environ.get("RETAILCTL_SILVER_JOB_NAME")
    names = [outcome["file"] for outcome in processed if outcome.get("outcome") == "validated"]
    if not job or not names:
        return []
    from retailctl.aws.glue import start_job_run

    try:
        return [start_job_run(job, {"files": json.dumps(names)}, region=os.environ.get("AWS_REGION"))]
    except RetailctlError as exc:
        logger.error("could not start %s for %s: %s", job, names, exc)
        return []


def created_objects(event: dict[str, Any]) -> list[CreatedObject]:
    """The objects an S3, SQS-wrapped S3 or EventBridge event says were created, in event order."""
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        detail = event.get("detail") or {}
        literal = str((detail.get("object") or {}).get("key", ""))
        bucket = str((detail.get("bucket") or {}).get("name", ""))
        return [CreatedObject(bucket, unquote_plus(literal), literal)] if bucket and literal else []
    found: list[CreatedObject] = []
    for record in event.get("Records") or []:
        if "body" in record and "s3" not in record:
            try:
                found.extend(created_objects(json.loads(record["body"])))
            except (TypeError, ValueError):
                logger.warning("ignoring an SQS message that is not a JSON S3 event")
            continue
        s3 = record.get("s3") or {}
        if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue
        bucket = str((s3.get("bucket") or {}).get("name", ""))
        key = str((s3.get("object") or {}).get("key", ""))
        if bucket and key:
            found.append(CreatedObject(bucket, unquote_plus(key)))
    return found


def _store_key(created: CreatedObject, prefix: str, store: ObjectStore) -> str | None:
    """The key relative to the store's prefix, or None when the object lies outside it."""
    candidates = [created.key]
    if created.literal_key is not None and created.literal_key != created.key:
        candidates.append(created.literal_key)
    relative = [_strip_prefix(key, prefix) for key in candidates]
    usable = [key for key in relative if key]
    if len(usable) > 1 and not store.exists(usable[0]) and store.exists(usable[1]):
        return usable[1]
    return usable[0] if usable else None


def _strip_prefix(key: str, prefix: str) -> str | None:
    if not prefix:
        return key
    return key[len(prefix) + 1:] if key.startswith(prefix + "/") else None


def _log_line(payload: dict[str, Any]) -> None:
    logger.info(json.dumps(payload, ensure_ascii=False, default=str))
