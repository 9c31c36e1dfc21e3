"""The per-file ingest record under audit/: each stage adds its own section."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from retailctl import layout
from retailctl.storage import ObjectStore, read_json, read_json_or, write_json


def read_ingest_record(store: ObjectStore, run_id: str) -> dict[str, Any]:
    """The ingest record of ``run_id``, or an empty dict when there is none yet."""
    record: dict[str, Any] = read_json_or(store, layout.ingest_record_key(run_id), {})
    return record


def update_ingest_record(store: ObjectStore, run_id: str, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the ingest record of ``run_id`` (top-level keys replaced) and save it."""
    record = read_ingest_record(store, run_id)
    record.setdefault("ingest_run_id", run_id)
    record.update(fields)
    record["updated_at"] = datetime.now(UTC).isoformat()
    write_json(store, layout.ingest_record_key(run_id), record)
    return record


def list_ingest_records(store: ObjectStore) -> list[dict[str, Any]]:
    """Every ingest record in the lake, oldest run first."""
    return [read_json(store, info.key) for info in store.list(layout.ingest_records_prefix()) if info.key.endswith(".json")]
