"""Route files out of raw/: to validated/ with a validation record, or to rejected/system/ with a reason.

Only a bounded head of each object is read (``limits.validation_head_bytes``). Whatever happens, a
validation never leaves its file in raw/: an unexpected error rejects it as ``unreadable`` with the
stacktrace. An object that is already gone (an event delivered twice) is an ``already_handled`` no-op.
"""

from __future__ import annotations

import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.errors import ObjectNotFound, UsageError
from retailctl.records import update_ingest_record
from retailctl.rejection import SystemRejection, reject_file
from retailctl.storage import ObjectInfo, ObjectStore, write_json
from retailctl.validation.detect import NAME_IN_USE, UNREADABLE, Detected, InvalidFile, inspect_head

Outcome = Literal["validated", "rejected", "already_handled"]
STAGE = "validation"


@dataclass(frozen=True)
class ValidationOutcome:
    """Where one file went and why."""

    file: str
    source_key: str
    ingest_run_id: str
    outcome: Outcome
    destination_key: str | None = None
    reason_code: str | None = None
    message: str | None = None
    detected: dict[str, Any] | None = None
    size: int | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == "validated"

    @property
    def rejected(self) -> bool:
        return self.outcome == "rejected"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accepted": self.accepted}


def validate_key(
    store: ObjectStore, key: str, config: PipelineConfig, *, run_id: str | None = None, name: str | None = None
) -> ValidationOutcome:
    """Validate ``raw/<name>`` and move it to validated/ or rejected/system/ (``name``: the name of a file
    waiting elsewhere, see :func:`retailctl.layout.renamed_key`)."""
    name = name or _name_under(layout.RAW, key)
    run_id = run_id or layout.new_run_id()
    try:
        info = store.head(key)
    except ObjectNotFound:
        return ValidationOutcome(name, key, run_id, "already_handled")
    try:
        try:
            detected, head_bytes = _inspect(store, key, info, config)
            if store.exists(layout.validated_key(name)):
                raise InvalidFile(
                    NAME_IN_USE,
                    f"{layout.validated_key(name)} is still waiting for the silver job, so a new file of the "
                    "same name cannot be accepted yet; send it again after that run, or replay it.",
                    {"waiting": layout.validated_key(name)},
                )
        except InvalidFile as problem:
            return _reject(store, key, name, info, run_id, problem)
        return _accept(store, key, name, info, run_id, detected, head_bytes)
    except ObjectNotFound:
        return ValidationOutcome(name, key, run_id, "already_handled")
    except Exception as exc:
        unexpected = InvalidFile(
            UNREADABLE,
            f"{key} could not be validated because of an unexpected error: {type(exc).__name__}: {exc}",
            {"error": str(exc)},
        )
        return _reject(store, key, name, info, run_id, unexpected, error=exc, stacktrace=traceback.format_exc())


def validate_pending(
    store: ObjectStore, config: PipelineConfig, names: list[str] | None = None
) -> list[ValidationOutcome]:
    """Validate the named files of raw/ (names without ``raw/``), or every file waiting there."""
    if names is None:
        keys = [info.key for info in store.list(layout.RAW) if not info.key.endswith("/")]
    else:
        keys = [layout.raw_key(name) for name in names]
    return [validate_key(store, key, config) for key in keys]


def describe_in_place(
    store: ObjectStore, key: str, config: PipelineConfig, run_id: str | None = None
) -> dict[str, Any]:
    """The validation record of an object already in validated/, without moving or writing anything.

    Raises InvalidFile (a FileRejected with ``reason_code``, ``message`` and ``details``) when the file
    would fail validation, and ObjectNotFound when it is not there.
    """
    name = _name_under(layout.VALIDATED, key)
    info = store.head(key)
    detected, head_bytes = _inspect(store, key, info, config)
    return validation_record(name, run_id or layout.new_run_id(), key, key, detected, info, head_bytes)


def validation_record(
    name: str,
    run_id: str,
    source_key: str,
    validated_key: str,
    detected: Detected,
    info: ObjectInfo,
    head_bytes: int,
) -> dict[str, Any]:
    """The JSON the silver job reads at ``layout.validation_record_key(name)``."""
    return {
        "file": name,
        "ingest_run_id": run_id,
        "source_key": source_key,
        "validated_key": validated_key,
        **detected.to_dict(),
        "size": info.size,
        "etag": info.etag,
        "head_bytes_read": head_bytes,
        "validated_at": datetime.now(UTC).isoformat(),
    }


def _name_under(layer: str, key: str) -> str:
    try:
        name = layout.name_in(layer, key)
    except ValueError:
        raise UsageError(f"{key!r} is not a key under {layer}") from None
    if not name or name.endswith("/"):
        raise UsageError(f"{key!r} names a folder, not a file")
    return name


def _inspect(store: ObjectStore, key: str, info: ObjectInfo, config: PipelineConfig) -> tuple[Detected, int]:
    head = store.read_range(key, 0, config.limits.validation_head_bytes)
    complete = len(head) >= info.size
    return inspect_head(head, complete=complete, dataset=config.dataset, name=key), len(head)


def _accept(
    store: ObjectStore, key: str, name: str, info: ObjectInfo, run_id: str, detected: Detected, head_bytes: int
) -> ValidationOutcome:
    destination = layout.validated_key(name)
    record = validation_record(name, run_id, key, destination, detected, info, head_bytes)
    record_key = layout.validation_record_key(name)
    write_json(store, record_key, record)
    try:
        store.move(key, destination)
    except ObjectNotFound:
        if not store.exists(destination):
            store.delete(record_key)
        raise
    outcome = ValidationOutcome(
        name, key, run_id, "validated", destination, detected=detected.to_dict(), size=info.size
    )
    _record_ingest(store, outcome, info, head_bytes)
    return outcome


def _reject(
    store: ObjectStore,
    key: str,
    name: str,
    info: ObjectInfo,
    run_id: str,
    problem: InvalidFile,
    *,
    error: BaseException | None = None,
    stacktrace: str | None = None,
) -> ValidationOutcome:
    rejection = SystemRejection(
        file=name,
        source_key=key,
        stage=STAGE,
        reason_code=problem.reason_code,
        message=problem.message,
        ingest_run_id=run_id,
        details={**problem.details, "etag": info.etag},
        size=info.size,
        error_type=type(error).__name__ if error else None,
        stacktrace=stacktrace,
    )
    if not reject_file(store, rejection):
        return ValidationOutcome(name, key, run_id, "already_handled")
    outcome = ValidationOutcome(
        name, key, run_id, "rejected", layout.system_reject_key(name),
        reason_code=problem.reason_code, message=problem.message, size=info.size,
    )
    _record_ingest(store, outcome, info, None)
    return outcome


def _record_ingest(store: ObjectStore, outcome: ValidationOutcome, info: ObjectInfo, head_bytes: int | None) -> None:
    update_ingest_record(
        store,
        outcome.ingest_run_id,
        file=outcome.file,
        source_key=outcome.source_key,
        size=info.size,
        etag=info.etag,
        validation={
            "outcome": outcome.outcome,
            "destination_key": outcome.destination_key,
            "reason_code": outcome.reason_code,
            "message": outcome.message,
            "detected": outcome.detected,
            "head_bytes_read": head_bytes,
            "at": datetime.now(UTC).isoformat(),
        },
        outcome=outcome.outcome,
    )
