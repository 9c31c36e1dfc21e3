"""Replays: whole-file rejects back through the pipeline, and a run's row rejects as a new file.

System rejects (``rejected/system/<name>``) move back to ``raw/<name>``; their reason JSON is kept
under ``rejected/system/_history/``. Row rejects of a run become one new raw file, built from each
reject's ``raw_row`` (or from an analyst's corrected copy of the rejects CSV) under the original
header and delimiter, named ``<original stem>.replay-of-<run id>.csv`` so its lineage is plain. The
original rejects stay where they are and are marked replayed; a second replay of the same run is
refused unless forced, and identical bytes are caught by the content ledger anyway, so gold never
counts a row twice.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.errors import ObjectNotFound, UsageError
from retailctl.jobs.rejects_csv import read_rejects_csv
from retailctl.pipeline import PipelineResult, Progress, SessionProvider, run_pipeline
from retailctl.records import read_ingest_record
from retailctl.storage import ObjectStore, json_bytes, read_json_or

SYSTEM = "rejected/system"
DATA_QUALITY = "rejected/data_quality"


@dataclass(frozen=True)
class SystemReplayItem:
    """A whole-file reject chosen for replay."""

    file: str
    stage: str | None
    reason_code: str | None
    ingest_run_id: str | None
    skipped: str | None = None
    """Why this file is not replayed now (for example a file of the same name waits in raw/)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ReplayResult:
    """What a replay chose and, unless it was a dry run, what the pipeline did with it."""

    source: str
    dry_run: bool
    items: tuple[SystemReplayItem, ...] = ()
    replay_file: str | None = None
    rows: int = 0
    already_replayed_by: str | None = None
    pipeline: PipelineResult | None = None

    @property
    def exit_code(self) -> int:
        if self.pipeline is not None:
            return self.pipeline.exit_code
        return 1 if any(item.skipped for item in self.items) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "items": [item.to_dict() for item in self.items],
            "replay_file": self.replay_file,
            "rows": self.rows,
            "already_replayed_by": self.already_replayed_by,
            "pipeline": self.pipeline.to_dict() if self.pipeline else None,
            "exit_code": self.exit_code,
        }


def normalise_source(source: str) -> str:
    """``rejected/system`` or ``rejected/data_quality`` from what a user typed (trailing slash, ``system``...)."""
    cleaned = source.strip().strip("/")
    for known in (SYSTEM, DATA_QUALITY):
        if cleaned in (known, known.split("/", 1)[1]):
            return known
    raise UsageError(f"cannot replay {source!r}: name rejected/system or rejected/data_quality")


def system_rejects(store: ObjectStore, file: str | None = None) -> list[SystemReplayItem]:
    """The files waiting in rejected/system/ (not their reasons, not the history), or just ``file``."""
    items = []
    for info in store.list(layout.REJECTED_SYSTEM):
        name = layout.name_in(layout.REJECTED_SYSTEM, info.key)
        if layout.is_reason_key(info.key) or name.startswith(layout.SYSTEM_HISTORY):
            continue
        if file is not None and name != file:
            continue
        reason = read_json_or(store, layout.system_reason_key(name), {})
        skipped = f"{layout.raw_key(name)} already exists" if store.exists(layout.raw_key(name)) else None
        items.append(
            SystemReplayItem(name, reason.get("stage"), reason.get("reason_code"), reason.get("ingest_run_id"), skipped)
        )
    if file is not None and not items:
        raise UsageError(f"no file {file!r} in {layout.REJECTED_SYSTEM}")
    return items


def replay_system(
    store: ObjectStore,
    config: PipelineConfig,
    sessions: SessionProvider,
    *,
    file: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ReplayResult:
    """Move whole-file rejects back to raw/ (reasons kept as history) and run them through the pipeline."""
    items = tuple(system_rejects(store, file))
    if dry_run or not items:
        return ReplayResult(SYSTEM, dry_run, items)
    names = []
    for item in items:
        if item.skipped:
            continue
        reason_key = layout.system_reason_key(item.file)
        if store.exists(reason_key):
            store.move(reason_key, layout.system_reason_history_key(item.file, item.ingest_run_id or layout.new_run_id()))
        try:
            store.move(layout.system_reject_key(item.file), layout.raw_key(item.file))
        except ObjectNotFound:
            continue
        names.append(item.file)
    result = run_pipeline(store, config, names, sessions=sessions, force=force, progress=progress)
    return ReplayResult(SYSTEM, dry_run, items, pipeline=result)


def replay_row_rejects(
    store: ObjectStore,
    config: PipelineConfig,
    sessions: SessionProvider,
    *,
    run_id: str,
    from_csv: Path | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ReplayResult:
    """Build one raw file from run ``run_id``'s row rejects (or an analyst's corrected CSV) and ingest it."""
    if not layout.is_run_id(run_id):
        raise UsageError(f"{run_id!r} is not a run id (they look like 20261125T180102Z-3f9a1c2b)")
    record = read_ingest_record(store, run_id)
    validation = (record.get("validation") or {}).get("detected") or record.get("validation") or {}
    header, delimiter = validation.get("header"), validation.get("delimiter")
    if not record or not header or not delimiter:
        raise UsageError(f"no ingest record with a validated header for run {run_id} under {layout.ingest_records_prefix()}")
    rows = _corrected_rows(from_csv) if from_csv else _rejected_rows(store, run_id)
    if not rows:
        raise UsageError(f"run {run_id} has no row rejects to replay")
    name = replay_file_name(str(record.get("file") or "rejects.csv"), run_id)
    marker = read_json_or(store, layout.dq_replayed_marker_key(run_id), None)
    if marker and not force:
        return ReplayResult(DATA_QUALITY, dry_run, replay_file=name, rows=len(rows), already_replayed_by=marker.get("replay_file"))
    if dry_run:
        return ReplayResult(DATA_QUALITY, dry_run, replay_file=name, rows=len(rows))
    if store.exists(layout.raw_key(name)):
        raise UsageError(f"{layout.raw_key(name)} already waits in raw/: run `retailctl validate` or remove it first")
    store.write(layout.raw_key(name), _file_bytes(header, delimiter, rows))
    result = run_pipeline(store, config, [name], sessions=sessions, force=force, progress=progress)
    store.write(
        layout.dq_replayed_marker_key(run_id),
        json_bytes(
            {
                "ingest_run_id": run_id,
                "replay_file": name,
                "rows": len(rows),
                "from_csv": str(from_csv) if from_csv else None,
                "replay_runs": [f.ingest_run_id for f in result.files],
                "replayed_at": datetime.now(UTC).isoformat(),
            }
        ),
    )
    return ReplayResult(DATA_QUALITY, dry_run, replay_file=name, rows=len(rows), pipeline=result)


def replay_file_name(original: str, run_id: str) -> str:
    """``sales.csv`` of run R replays as ``sales.replay-of-R.csv`` (in the same folder)."""
    path = PurePosixPath(original)
    return str(path.with_name(f"{path.stem}.replay-of-{run_id}{path.suffix or '.csv'}"))


def _rejected_rows(store: ObjectStore, run_id: str) -> list[str]:
    try:
        text = store.read(layout.dq_json_key(run_id)).decode("utf-8")
    except ObjectNotFound:
        raise UsageError(f"run {run_id} has no row rejects at {layout.dq_json_key(run_id)}") from None
    return [json.loads(line)["raw_row"] for line in text.split("\n") if line.strip()]


def _corrected_rows(path: Path) -> list[str]:
    try:
        rows = read_rejects_csv(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except csv.Error as exc:
        raise UsageError(f"{path} is not a rejects CSV: {exc}") from None
    if rows and "raw_row" not in rows[0]:
        raise UsageError(f"{path} has no raw_row column: edit the rejects CSV that retailctl wrote, keeping its header")
    return [row["raw_row"] for row in rows]


def _file_bytes(header: Iterable[str], delimiter: str, rows: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(list(header))
    return (buffer.getvalue() + "\n".join(row.rstrip("\r\n") for row in rows) + "\n").encode("utf-8")
