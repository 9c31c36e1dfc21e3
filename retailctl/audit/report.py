"""The audit report: last compaction run, partition metrics, ingest records and live invariant checks.

Nothing here starts Spark: gold keys are read with pyarrow, one key column at a time, through the store.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.jobs.gold_runner import files_by_day
from retailctl.records import list_ingest_records
from retailctl.storage import ObjectStore, read_json, read_json_or


@dataclass(frozen=True)
class Invariant:
    """One pipeline guarantee, checked now: whether it holds and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass
class AuditReport:
    """Everything `retailctl audit show` prints."""

    last_run: dict[str, Any] | None
    partitions: list[dict[str, Any]] = field(default_factory=list)
    ingest: list[dict[str, Any]] = field(default_factory=list)
    invariants: list[Invariant] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when the last compaction failed or an invariant does not hold."""
        failed = self.last_run is not None and self.last_run.get("status") == "failed"
        return not failed and all(item.ok for item in self.invariants)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def build_report(store: ObjectStore, config: PipelineConfig) -> AuditReport:
    """Read the audit records and check the invariants against the lake as it is now."""
    return AuditReport(
        last_run=read_json_or(store, layout.gold_summary_key(), None),
        partitions=partition_metrics(store),
        ingest=[ingest_summary(record) for record in list_ingest_records(store)],
        invariants=check_invariants(store, config),
    )


def partition_metrics(store: ObjectStore) -> list[dict[str, Any]]:
    """The latest metrics of every gold partition, by date."""
    found = []
    for info in store.list(layout.gold_audit_prefix()):
        day = info.key.split("date=", 1)[-1].split("/", 1)[0]
        if info.key == layout.gold_metrics_key(day):
            found.append(read_json(store, info.key))
    return sorted(found, key=lambda item: str(item.get("date")))


def ingest_summary(record: dict[str, Any]) -> dict[str, Any]:
    """One ingest record in short: file, outcome and the silver row counts (absent when it stopped earlier)."""
    silver = record.get("silver") or {}
    return {
        "ingest_run_id": record.get("ingest_run_id"),
        "file": record.get("file"),
        "outcome": record.get("outcome"),
        "rows_read": silver.get("rows_read"),
        "rows_valid": silver.get("rows_valid"),
        "rows_rejected": silver.get("rows_rejected"),
        "rejects_by_rule": silver.get("rejects_by_rule") or {},
    }


def check_invariants(store: ObjectStore, config: PipelineConfig) -> list[Invariant]:
    """The guarantees of the contract, checked against the lake now."""
    return [
        _nothing_left(store, layout.RAW),
        _nothing_left(store, layout.VALIDATED),
        _rows_conserved(store),
        _gold_keys_unique(store, config),
        _last_check(store),
    ]


def _nothing_left(store: ObjectStore, layer: str) -> Invariant:
    stuck = [info.key for info in store.list(layer)]
    detail = f"{len(stuck)} file(s) left, e.g. {', '.join(stuck[:3])}" if stuck else "empty"
    return Invariant(f"nothing in {layer}", not stuck, detail)


def _rows_conserved(store: ObjectStore) -> Invariant:
    checked, broken = 0, []
    for record in list_ingest_records(store):
        silver = record.get("silver")
        if not isinstance(silver, dict) or silver.get("rows_read") is None:
            continue
        checked += 1
        read, valid, rejected = (int(silver.get(name) or 0) for name in ("rows_read", "rows_valid", "rows_rejected"))
        if read != valid + rejected:
            broken.append(f"{record.get('file')} ({record.get('ingest_run_id')}): read {read} != {valid} valid + {rejected} rejected")
    detail = "; ".join(broken[:3]) if broken else f"holds for {checked} file(s)"
    return Invariant("rows read = valid + rejected", not broken, detail)


def _gold_keys_unique(store: ObjectStore, config: PipelineConfig) -> Invariant:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    key = config.dataset.dedup_key
    base = layout.gold_table_prefix(config.dataset.gold_table)
    files = [info.key for infos in files_by_day(store, base, config.dataset.partition_name).values() for info in infos]
    chunks = [pq.read_table(io.BytesIO(store.read(name)), columns=[key]).column(key) for name in files]
    keys = pa.chunked_array([chunk for column in chunks for chunk in column.chunks], type=pa.string())
    duplicates = len(keys) - pc.count_distinct(keys).as_py() if len(keys) else 0
    detail = f"{duplicates} duplicated key(s) among {len(keys)} rows" if duplicates else f"{len(keys)} rows in {len(files)} file(s), all distinct"
    return Invariant(f"gold {key} unique", duplicates == 0, detail)


def _last_check(store: ObjectStore) -> Invariant:
    check = (read_json_or(store, layout.gold_summary_key(), None) or {}).get("check") or {}
    if not check:
        return Invariant("gold rows = distinct silver keys", True, "no compaction run yet")
    detail = f"gold rows {check.get('gold_rows')}, distinct silver keys {check.get('distinct_silver_keys')} (at the last compaction)"
    return Invariant("gold rows = distinct silver keys", bool(check.get("ok")), detail)
