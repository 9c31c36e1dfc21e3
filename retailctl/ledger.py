"""The content-hash ledger: the same bytes are processed once, whatever their name.

Each accepted file claims ``audit/ledger/sha256=<hash>.json`` with create-if-absent before its rows
are processed. A second file with the same bytes finds the claim taken and is set aside as
``duplicate_content`` pointing at the first ingest. A run that fails releases its claim, so that a
replay of the same bytes is processed rather than skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from retailctl import layout
from retailctl.records import update_ingest_record
from retailctl.storage import ObjectStore, json_bytes, read_json_or, sha256_of


@dataclass(frozen=True)
class LedgerEntry:
    """Who first ingested a given content hash."""

    sha256: str
    file: str
    ingest_run_id: str
    size: int
    recorded_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a content hash for a run."""

    entry: LedgerEntry
    ours: bool
    """True when this run holds the claim (new content, or its own earlier claim)."""


def claim(store: ObjectStore, sha256: str, file: str, run_id: str, size: int) -> Claim:
    """Claim ``sha256`` for ``run_id``; when another run holds it, return that run's entry."""
    entry = LedgerEntry(sha256=sha256, file=file, ingest_run_id=run_id, size=size, recorded_at=datetime.now(UTC).isoformat())
    key = layout.ledger_key(sha256)
    if store.create_if_absent(key, json_bytes(entry.to_dict())):
        return Claim(entry, ours=True)
    held = read_json_or(store, key, None)
    if held is None:  # released between our attempt and this read: try once more
        return claim(store, sha256, file, run_id, size)
    holder = LedgerEntry.from_dict(held)
    return Claim(holder, ours=holder.ingest_run_id == run_id)


def release(store: ObjectStore, sha256: str, run_id: str) -> None:
    """Give up ``run_id``'s claim on ``sha256`` (after a failed run); another run's claim is left alone."""
    key = layout.ledger_key(sha256)
    held = read_json_or(store, key, None)
    if held is not None and held.get("ingest_run_id") == run_id:
        store.delete(key)


def lookup(store: ObjectStore, sha256: str) -> LedgerEntry | None:
    """The entry holding ``sha256``, if any."""
    held = read_json_or(store, layout.ledger_key(sha256), None)
    return None if held is None else LedgerEntry.from_dict(held)


@dataclass(frozen=True)
class Screened:
    """The content check of one validated file before its rows are processed."""

    file: str
    ingest_run_id: str
    sha256: str
    duplicate_of: LedgerEntry | None = None
    archive_key: str | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None


def screen(store: ObjectStore, name: str, run_id: str, *, force: bool = False) -> Screened:
    """Hash ``validated/<name>`` and claim it for ``run_id``.

    Bytes already claimed by another run are set aside: the file moves to ``archive/duplicates/``
    and its ingest record says ``duplicate_content`` with the first ingest. ``force`` processes
    them again on purpose (the first claim is kept).
    """
    key = layout.validated_key(name)
    digest = sha256_of(store, key)
    taken = claim(store, digest, name, run_id, store.head(key).size)
    if taken.ours or force:
        return Screened(name, run_id, digest)
    destination = layout.duplicate_archive_key(name, run_id, datetime.now(UTC))
    store.move(key, destination)
    update_ingest_record(
        store,
        run_id,
        file=name,
        outcome="duplicate_content",
        sha256=digest,
        duplicate_of=taken.entry.to_dict(),
        archive_key=destination,
    )
    return Screened(name, run_id, digest, taken.entry, destination)


def screen_waiting(store: ObjectStore, names: Iterable[str], *, force: bool = False) -> list[Screened]:
    """Screen each ``validated/<name>`` under the run id its validation record gives it.

    A file without a validation record is left out: the silver job describes it in place and
    processes it as it stands.
    """
    screened = []
    for name in names:
        record = read_json_or(store, layout.validation_record_key(name), None)
        if isinstance(record, dict) and record.get("ingest_run_id"):
            screened.append(screen(store, name, str(record["ingest_run_id"]), force=force))
    return screened


def release_unarchived(store: ObjectStore, screened: Iterable[Screened], archived: Iterable[str]) -> None:
    """Release the claims of screened files that did not end archived, so that a replay processes them."""
    done = set(archived)
    for item in screened:
        if not item.is_duplicate and item.file not in done:
            release(store, item.sha256, item.ingest_run_id)
