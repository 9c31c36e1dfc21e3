"""What the silver write staged, read back through the store: counts per file and the row reject files.

The main silver write stages every record once, partitioned by ``_outcome`` (the day of a valid row,
NULL for rejects and blank lines; see :func:`retailctl.jobs.silver.staged_rows`). Everything after it
is read here with pyarrow, without another Spark job: valid rows per run id from the footers (a file
of one run) or the run id column alone (dictionary-encoded, a few bytes per row group), and the
rejects and blank lines, a few percent of the rows, streamed once: the rejects into one JSON lines
file and one analyst CSV per run id.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Protocol, TextIO

from retailctl.errors import InvariantBroken
from retailctl.jobs.rejects_csv import RejectCsvRow, rejects_csv_writer
from retailctl.storage import ObjectInfo, ObjectStore
from retailctl.storage.parquet import open_parquet, value_counts

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


@dataclass(slots=True)
class RejectDetail:
    """A reject as its files show it: raw text, dedup key, the names of the rules it failed (each once) and the reasons as JSON."""

    raw_row: str | None
    key: str | None
    rules: set[str]
    reasons_json: str


class RejectReasons:
    """Writes a reject's reasons from what silver staged: the numbers of the rules it failed and the texts
    of its fields (see :func:`retailctl.jobs.silver.staged_rows`).

    A reason is ``{"rule", "column", "value", "message"}``, the value its column's text (None for a rule of
    the whole row, or when the row has no field texts: a malformed row). Each rule's JSON around its value
    is written once, here, as every reject is written on the driver (100k of them on 5M generated rows).
    """

    def __init__(self, rules: Sequence[NamedRule], columns: Sequence[str], dedup_key: str) -> None:
        self.rules = rules
        self.columns = columns
        self.dedup_key = dedup_key
        self._key_index = columns.index(dedup_key)
        self._reason_parts = [
            (rule.name,
             f'{{"rule":{_json_text(rule.name)},"column":{_json_text(rule.column)},"value":',
             columns.index(rule.column) if rule.column else None,
             f',"message":{_json_text(rule.message)}}}')
            for rule in rules
        ]

    def detail(self, staged: str) -> RejectDetail:
        """A reject from the JSON detail staged in its ``source_file`` (``raw_row``, ``failed``, ``values``)."""
        parsed = _STAGED_DETAIL.decode(staged)
        values: list[str | None] | None = parsed["values"]
        if values is not None and len(values) != len(self.columns):
            raise InvariantBroken(f"a reject's staged field texts {values!r} do not match the columns {list(self.columns)}")
        names: set[str] = set()
        reasons = []
        for number in parsed["failed"]:
            name, before, index, after = self._reason_parts[number]
            names.add(name)
            reasons.append(before + _json_text(values[index] if values and index is not None else None) + after)
        key = values[self._key_index] if values else None
        return RejectDetail(parsed["raw_row"], key, names, "[" + ",".join(reasons) + "]")


@dataclass(frozen=True)
class StagedFile:
    """One parquet file of the staged write and the outcome its directory names."""

    info: ObjectInfo
    outcome: str


def count_staged(store: ObjectStore, valid: Iterable[StagedFile], stats: Mapping[str, FileStats]) -> None:
    """Add the rows and days of every staged file of valid rows to ``stats`` (by run id)."""
    files = list(valid)
    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = pool.map(lambda one: value_counts(store, one.info, RUN_COLUMN), files)
        for one, by_run in zip(files, counted, strict=True):
            for run_id, rows in by_run.items():
                if rows:
                    _stats_of(stats, run_id).rows_valid += rows
                    _stats_of(stats, run_id).partitions.add(one.outcome)


def stage_rejects(
    store: ObjectStore,
    staged: Iterable[StagedFile],
    stats: Mapping[str, FileStats],
    files: Mapping[str, str],
    reasons: RejectReasons,
    rejected_at: datetime,
    area: str,
) -> None:
    """Count the staged rejects and blank lines into ``stats`` and write the rejects as ``{area}json/<run id>``
    and ``{area}csv/<run id>``.

    ``staged`` are the files of rejects and blank lines (a blank line has no detail). ``files`` maps each
    run id to its file's name. Rows keep the order of the staged files.
    """
    stamp = rejected_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with tempfile.TemporaryDirectory(prefix="retailctl-rejects-") as scratch:
        with _RejectFiles(Path(scratch), files, reasons.dedup_key, stamp) as outputs:
            for run_id, line, staged_detail in _staged_rejects(store, staged):
                counted = _stats_of(stats, run_id)
                if staged_detail is None:
                    counted.blank_lines += 1
                    continue
                detail = reasons.detail(staged_detail)
                counted.rows_rejected += 1
                for rule in detail.rules:
                    counted.rejects_by_rule[rule] += 1
                outputs.write(run_id, line, detail)
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


def _staged_rejects(store: ObjectStore, staged: Iterable[StagedFile]) -> Iterator[tuple[str, int, str | None]]:
    """``(run id, line, JSON detail)`` of every staged reject and blank line (the detail is staged in
    ``source_file``; None for a blank line)."""
    for one in staged:
        with open_parquet(store, one.info) as parquet:
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=REJECT_COLUMNS):
                yield from zip(*(batch.column(name).to_pylist() for name in REJECT_COLUMNS), strict=True)


def _stats_of(stats: Mapping[str, FileStats], run_id: str) -> FileStats:
    if run_id not in stats:
        raise InvariantBroken(f"silver staged rows of run {run_id}, which is not in this batch")
    return stats[run_id]


@dataclass(frozen=True)
class _RunRejects:
    """The open reject files of one run, and the JSON of the fields every one of its rejects shares."""

    json_lines: TextIO
    csv_row: RejectCsvRow
    head_json: str
    trailer_json: str


class _RejectFiles:
    """One JSON lines file and one analyst CSV per run id, opened on the run's first reject.

    A JSON line holds ``source_file``, ``line_number``, ``raw_row``, the dedup key, ``reject_reason``,
    ``ingest_run_id`` and ``rejected_at``, in that order, compact and UTF-8 unescaped as Spark writes JSON;
    it is written from the parts' JSON text, so the reasons are serialized once for both files.
    """

    def __init__(self, directory: Path, files: Mapping[str, str], dedup_key: str, rejected_at: str) -> None:
        self._directory = directory
        self._files = files
        self._key_json = _json_text(dedup_key)
        self._rejected_at = rejected_at
        self._open_files = ExitStack()
        self._runs: dict[str, _RunRejects] = {}
        self.paths: dict[str, tuple[Path, Path]] = {}

    def __enter__(self) -> _RejectFiles:
        return self

    def _open(self, path: Path) -> TextIO:
        return self._open_files.enter_context(path.open("w", encoding="utf-8", newline=""))

    def _run(self, run_id: str) -> _RunRejects:
        number = len(self.paths)
        json_path, csv_path = self.paths[run_id] = (self._directory / f"{number}.json", self._directory / f"{number}.csv")
        source_file = self._files[run_id]
        return _RunRejects(
            self._open(json_path),
            rejects_csv_writer(self._open(csv_path), source_file, run_id, self._rejected_at),
            f'{{"source_file":{_json_text(source_file)},"line_number":',
            f'"ingest_run_id":{_json_text(run_id)},"rejected_at":{_json_text(self._rejected_at)}}}\n',
        )

    def write(self, run_id: str, line: int, detail: RejectDetail) -> None:
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = self._run(run_id)
        run.json_lines.write(
            f'{run.head_json}{line},"raw_row":{_json_text(detail.raw_row)},'
            f'{self._key_json}:{_json_text(detail.key)},"reject_reason":{detail.reasons_json},{run.trailer_json}'
        )
        run.csv_row(line, detail.raw_row, detail.key, detail.reasons_json)

    def __exit__(self, *exc: object) -> None:
        self._open_files.close()


_STAGED_DETAIL = json.JSONDecoder(strict=False)
"""Reads the detail silver staged: its texts may hold control characters as they are."""


def _json_text(text: str | None) -> str:
    """A text (or None) as JSON as Spark writes it, UTF-8 unescaped: what ``json.dumps(text, ensure_ascii=False)``
    gives, in one C call."""
    return "null" if text is None else encode_basestring(text)
