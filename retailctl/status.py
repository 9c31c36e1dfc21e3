"""What the lake holds: objects and bytes per layer, files waiting in raw/ or validated/, what runs left in
staging, the last runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from retailctl import layout
from retailctl.storage import ObjectInfo, ObjectStore, read_json_or

WAITING_LAYERS = (layout.RAW, layout.VALIDATED)


@dataclass(frozen=True)
class LayerUsage:
    layer: str
    objects: int
    bytes: int


@dataclass(frozen=True)
class WaitingFile:
    """A file in raw/ or validated/: it should have been routed on by the end of a run."""

    key: str
    size: int
    last_modified: datetime
    age_seconds: int


@dataclass(frozen=True)
class StagedRun:
    """What one run holds in ``_staging/``: a run still going, or one that ended without cleaning up (killed)."""

    job: str
    run_id: str
    objects: int
    bytes: int
    moved_aside: int
    """Gold files a compaction moved aside while swapping partitions in (``replaced/``): the old rows of
    those partitions, to compare with gold before anything here is deleted."""


@dataclass(frozen=True)
class LakeStatus:
    layers: tuple[LayerUsage, ...]
    waiting: tuple[WaitingFile, ...]
    recent_ingests: tuple[dict[str, Any], ...]
    last_compaction: dict[str, Any] | None = None
    staged: tuple[StagedRun, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": [asdict(layer) for layer in self.layers],
            "waiting": [asdict(item) for item in self.waiting],
            "staged": [asdict(item) for item in self.staged],
            "recent_ingests": list(self.recent_ingests),
            "last_compaction": self.last_compaction,
        }


def lake_status(store: ObjectStore, *, recent: int = 10, now: datetime | None = None) -> LakeStatus:
    """Summarise every layer of ``layout.LAYERS`` and read the ``recent`` latest ingest records."""
    now = now or datetime.now(UTC)
    layers: list[LayerUsage] = []
    waiting: list[WaitingFile] = []
    for layer in layout.LAYERS:
        objects = [info for info in store.list(layer) if not info.key.endswith("/")]
        layers.append(LayerUsage(layer, len(objects), sum(info.size for info in objects)))
        if layer in WAITING_LAYERS:
            waiting.extend(
                WaitingFile(info.key, info.size, info.last_modified, int((now - info.last_modified).total_seconds()))
                for info in objects
            )
    record_keys = [info.key for info in store.list(layout.ingest_records_prefix()) if info.key.endswith(".json")]
    latest = sorted(record_keys)[-recent:] if recent > 0 else []
    records = tuple(record for key in reversed(latest) if (record := read_json_or(store, key, None)) is not None)
    return LakeStatus(tuple(layers), tuple(waiting), records, read_json_or(store, layout.gold_summary_key(), None), staged_runs(store))


def staged_runs(store: ObjectStore) -> tuple[StagedRun, ...]:
    """Every run with objects under ``_staging/<job>/<run id>/``, oldest first."""
    runs: dict[tuple[str, str], list[ObjectInfo]] = {}
    for info in store.list(layout.STAGING):
        job, _, rest = layout.name_in(layout.STAGING, info.key).partition("/")
        run_id = rest.partition("/")[0]
        if run_id and not info.key.endswith("/"):
            runs.setdefault((job, run_id), []).append(info)
    return tuple(
        StagedRun(job, run_id, len(infos), sum(info.size for info in infos), _moved_aside(job, run_id, infos))
        for (job, run_id), infos in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0]))
    )


def _moved_aside(job: str, run_id: str, infos: list[ObjectInfo]) -> int:
    if job != "gold":
        return 0
    aside = layout.gold_staging_area(run_id, "replaced")
    return sum(1 for info in infos if info.key.startswith(aside))


def ingest_reason(record: dict[str, Any]) -> str | None:
    """Why an ingest did not end archived: the validation or silver reason, or the first ingest of a duplicate."""
    for stage in ("validation", "silver"):
        code = (record.get(stage) or {}).get("reason_code")
        if code:
            return str(code)
    first = record.get("duplicate_of") or {}
    return f"same bytes as {first.get('file')}" if first else None
