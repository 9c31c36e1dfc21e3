"""Whole-file rejection: the one way a file goes to rejected/system/ with its reason JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from retailctl import layout
from retailctl.errors import ObjectNotFound
from retailctl.storage import ObjectStore, read_json_or, write_json


@dataclass(frozen=True)
class SystemRejection:
    """Why a file was rejected whole; written as ``rejected/system/<name>_reason.json``."""

    file: str
    source_key: str
    stage: str
    reason_code: str
    message: str
    ingest_run_id: str
    details: dict[str, Any] = field(default_factory=dict)
    size: int | None = None
    sha256: str | None = None
    error_type: str | None = None
    stacktrace: str | None = None
    rejected_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


def reject_file(store: ObjectStore, rejection: SystemRejection) -> bool:
    """Write the reason JSON, then move the file into rejected/system/.

    Returns False (and writes nothing) when the source object is already gone, as happens when the
    same event is delivered twice.
    """
    if not store.exists(rejection.source_key):
        return False
    keep_earlier_rejection(store, rejection.file)
    write_json(store, layout.system_reason_key(rejection.file), rejection.to_dict())
    try:
        store.move(rejection.source_key, layout.system_reject_key(rejection.file))
    except ObjectNotFound:
        return False
    return True


def keep_earlier_rejection(store: ObjectStore, name: str) -> None:
    """Move an earlier rejection of the same name (file and reason) under ``rejected/system/_history/``."""
    reason_key = layout.system_reason_key(name)
    earlier = read_json_or(store, reason_key, None)
    if earlier is None:
        return
    run_id = str(earlier.get("ingest_run_id") or layout.new_run_id())
    store.move(reason_key, layout.system_reason_history_key(name, run_id))
    if store.exists(layout.system_reject_key(name)):
        store.move(layout.system_reject_key(name), layout.system_reject_history_key(name, run_id))
