"""What the silver write staged, read back through the store: counts per file and the row reject files.

The main silver write stages every record once, partitioned by ``_outcome`` (the day of a valid row,
``reject`` or ``blank``; see :func:`retailctl.jobs.silver.staged_rows`). Everything after it is read
here with pyarrow, without another Spark job: rows per run id from the footers (a batch of one file)
or the run id column alone (dictionary-encoded, a few bytes per row group), and the rejects, a few
percent of the rows, streamed once into one JSON lines file and one analyst CSV per run id.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from retailctl.errors import InvariantBroken
from retailctl.jobs.rejects_csv import rejects_csv_writer
from retailctl.storage import ObjectInfo, ObjectStore
from retailctl.storage.parquet import open_parquet, parquet_footer, value_counts

RUN_COLUMN = "ingest_run_id"
REJECT_COLUMNS = [RUN_COLUMN, "source_line", "source_file"]
_BATCH_ROWS = 10_000


@dataclass
class FileStats:
    """What silver counted for one file: its lines, and where its records went."""

    lines: int = 0
    blank_lines: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    partitions: set[str] = field(default_factory=set)


class NamedRule(Protocol):
    """A rule as a reject's reason names it (:class:`retailctl.jobs.silver.Rule` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def column(self) -> str | None: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class RejectReasons:
    """Writes a reject's reasons from what silver staged: the numbers of the rules it failed and the texts
    of its fields (see :func:`retailctl.jobs.silver.staged_rows`)."""

    rules: Sequence[NamedRule]
    columns: Sequence[str]
    dedup_key: str

    def reasons(self, failed: Iterable[int], values: Sequence[str | None] | None) -> list[dict[str, Any]]:
        """``{"rule", "column", "value", "message"}`` of each failed rule; the value is its column's text
        (None for a rule of the whole row, or when the row has no ``values``: a malformed row)."""
        return self._reasons(failed, self._texts(values))

    def detail(self, staged: str) -> dict[str, Any]:
        """``{"raw_row", <dedup key>, "reject_reason"}`` of a reject from the JSON detail staged in its ``source_file``."""
        parsed = json.loads(staged, strict=False)
        texts = self._texts(parsed["values"])
        return {"raw_row": parsed["raw_row"], self.dedup_key: texts.get(self.dedup_key),
                "reject_reason": self._reasons(parsed["failed"], texts)}

    def _texts(self, values: Sequence[str | None] | None) -> dict[str, str | None]:
        return dict(zip(self.columns, values, strict=True)) if values is not None else {}

    def _reasons(self, failed: Iterable[int], texts: Mapping[str, str | None]) -> list[dict[str, Any]]:
        return [
            {"rule": rule.name, "column": rule.column, "value": texts.get(rule.column) if rule.column else None,
             "message": rule.message}
            for rule in (self.rules[number] for number in failed)
        ]


@dataclass(frozen=True)
class StagedFile:
    """One parquet file of the staged write and the outcome its directory names."""

    info: ObjectInfo
    outcome: str


def count_staged(
    store: ObjectStore, staged: Iterable[StagedFile], stats: Mapping[str, FileStats], blank_outcome: str
) -> None:
    """Add the valid rows (and their days) and the blank lines of every staged file to ``stats`` (by run id)."""
    files = list(staged)
    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = pool.map(lambda one: _rows_by_run(store, one.info, stats), files)
        for one, by_run in zip(files, counted, strict=True):
            for run_id, rows in by_run.items():
                if one.outcome == blank_outcome:
                    _stats_of(stats, run_id).blank_lines += rows
                elif rows:
                    _stats_of(stats, run_id).rows_valid += rows
                    _stats_of(stats, run_id).partitions.add(one.outcome)


def _rows_by_run(store: ObjectStore, info: ObjectInfo, stats: Mapping[str, FileStats]) -> Counter[str]:
    if len(stats) == 1:
        return Counter({next(iter(stats)): parquet_footer(store, info).num_rows})
    return value_counts(store, info, RUN_COLUMN)


def stage_rejects(
    store: ObjectStore,
    staged: Iterable[StagedFile],
    stats: Mapping[str, FileStats],
    files: Mapping[str, str],
    reasons: RejectReasons,
    rejected_at: datetime,
    area: str,
) -> None:
    """Count the staged rejects into ``stats`` and write them as ``{area}json/<run id>`` and ``{area}csv/<run id>``.

    ``files`` maps each run id to its file's name. Rows keep the order of the staged files.
    """
    stamp = rejected_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with tempfile.TemporaryDirectory(prefix="retailctl-rejects-") as scratch:
        with _RejectFiles(Path(scratch)) as outputs:
            for run_id, line, detail in _staged_rejects(store, staged):
                record = {"source_file": files[run_id], "line_number": line, **reasons.detail(detail),
                          "ingest_run_id": run_id, "rejected_at": stamp}
                counted = _stats_of(stats, run_id)
                counted.rows_rejected += 1
                for rule in {reason["rule"] for reason in record["reject_reason"]}:
                    counted.rejects_by_rule[rule] += 1
                outputs.write(run_id, record, reasons.dedup_key)
        for run_id, (json_path, csv_path) in outputs.paths.items():
            store.upload(_staged_reject_key(area, "json", run_id), json_path)
            store.upload(_staged_reject_key(area, "csv", run_id), csv_path)


def _staged_reject_key(area: str, kind: str, run_id: str) -> str:
    return f"{area}{kind}/{run_id}"


def staged_reject_files(store: ObjectStore, area: str) -> Iterator[tuple[str, str, str]]:
    """``(key, "json" or "csv", run id)`` of each file :func:`stage_rejects` wrote under ``area``."""
    for info in store.list(area):
        kind, _, run_id = info.key[len(area):].partition("/")
        yield info.key, kind, run_id


def _staged_rejects(store: ObjectStore, staged: Iterable[StagedFile]) -> Iterator[tuple[str, int, str]]:
    """``(run id, line, JSON detail)`` of every staged reject (the detail is staged in ``source_file``)."""
    for one in staged:
        with open_parquet(store, one.info) as parquet:
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=REJECT_COLUMNS):
                yield from zip(*(batch.column(name).to_pylist() for name in REJECT_COLUMNS), strict=True)


def _stats_of(stats: Mapping[str, FileStats], run_id: str) -> FileStats:
    if run_id not in stats:
        raise InvariantBroken(f"silver staged rows of run {run_id}, which is not in this batch")
    return stats[run_id]


class _RejectFiles:
    """One JSON lines file and one analyst CSV per run id, opened on the run's first reject."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._open_files = ExitStack()
        self._writers: dict[str, tuple[TextIO, Callable[[Mapping[str, object]], None]]] = {}
        self.paths: dict[str, tuple[Path, Path]] = {}

    def __enter__(self) -> _RejectFiles:
        return self

    def _open(self, path: Path) -> TextIO:
        return self._open_files.enter_context(path.open("w", encoding="utf-8", newline=""))

    def write(self, run_id: str, record: dict[str, Any], dedup_key: str) -> None:
        if run_id not in self._writers:
            number = len(self.paths)
            json_path, csv_path = self.paths[run_id] = (self._directory / f"{number}.json", self._directory / f"{number}.csv")
            self._writers[run_id] = (self._open(json_path), rejects_csv_writer(self._open(csv_path)))
        json_lines, csv_row = self._writers[run_id]
        json_lines.write(_compact_json(record) + "\n")
        csv_row({
            **record,
            "transaction_id": record[dedup_key],
            "reject_reason": _compact_json(record["reject_reason"]),
        })

    def __exit__(self, *exc: object) -> None:
        self._open_files.close()


def _compact_json(value: Any) -> str:
    """JSON as Spark writes it: no spaces, UTF-8 text unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
