"""The silver runner: validated/ files -> staged silver and row rejects -> published -> archived.

One batch is one set of Spark jobs over all its files (each row keeps its own file's run id):

1. lines and odd-quote lines counted, and each ``(file, block)`` given its first line number: on the
   driver from the bytes (:mod:`retailctl.jobs.line_count`) for a batch of few files that are local
   or small, else by a line-count pass of Spark over the raw text;
2. the main pass: number, stitch, parse, check and type every record once, written ONCE to staging
   in the silver schema, partitioned by ``_outcome`` (the day of a valid row, NULL for rejects and
   blank lines; see :func:`retailctl.jobs.silver.staged_rows`). No shuffle: the input splits are
   coalesced to one task per core, so a day gets at most one file per core. A reject carries its
   raw text, key and reasons as JSON in the staged ``source_file``, so nothing is classified twice.

Then no more Spark: the staged files are read back through the store with pyarrow
(:mod:`retailctl.jobs.silver_staged`): rows per file from footers or the run id column, and the
rejects (a few percent of the rows) streamed into one JSON lines file and one analyst CSV per run id.
Each Spark query costs about a second of planning in a cold JVM, whatever its size; these three
queries (count, rejects as JSON, rejects as CSV) cost more than reading back a few columns.

Everything goes to ``_staging/silver/<batch run id>/`` first and is then published with store
moves; the files are archived and their ingest records updated last. Any failure rolls the batch
back (published objects deleted, archived files moved back, staging removed); a failed batch of
several files is retried file by file, and a file that fails alone goes to rejected/system/.
``checkpoint(step)`` runs at ``staged``, ``publishing`` (after the first published object),
``published``, ``archiving`` (after the first archived file) and ``archived``.

Why not persist: valid rows and rejects need different files, and Spark writes one output per job.
Persisting the classified batch (an earlier design) wrote every row twice; staging rejects in the
valid rows' write costs a few percent of the rows instead.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from retailctl import layout
from retailctl.config import DatasetSpec, PipelineConfig
from retailctl.errors import FileRejected, UsageError
from retailctl.jobs import sql_functions
from retailctl.jobs.line_count import block_starts, count_lines, with_lf_line_ends
from retailctl.jobs.silver_staged import (
    FileStats,
    RejectReasons,
    StagedFile,
    count_staged,
    stage_rejects,
    staged_reject_files,
)
from retailctl.records import update_ingest_record
from retailctl.rejection import SystemRejection, reject_file
from retailctl.storage import ObjectInfo, ObjectStore, read_json_or

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from retailctl.jobs.silver import ParseProfile

Checkpoint = Callable[[str], None]
STAGE = "silver"
_SPARK_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\- ]*(/[A-Za-z0-9][A-Za-z0-9._\- ]*)*$")
_CODEC_SUFFIXES = (".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst")
"""Name endings Hadoop's default codecs claim: Spark would decompress such a file, and a text file the
validator accepted under such a name would fail to read (or read as other bytes). Read from a copy."""
_PARTITION_DIR = re.compile(r"^(?P<name>[^=/]+)=(?P<value>[^/]+)/(?P<file>[^/]+)$")


@dataclass(frozen=True)
class SilverFileResult:
    """What silver did with one file."""

    file: str
    ingest_run_id: str
    outcome: Literal["archived", "rejected"]
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    partitions: tuple[str, ...] = ()
    archive_key: str | None = None
    reason: SystemRejection | None = None
    seconds: float = 0.0
    lines: int = 0
    blank_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["partitions"] = list(self.partitions)
        result["reason"] = self.reason.to_dict() if self.reason else None
        return result


@dataclass(frozen=True)
class SilverBatchResult:
    """Every file of one ``run_silver`` call, with the batch's own run id."""

    batch_run_id: str
    files: tuple[SilverFileResult, ...]
    seconds: float

    @property
    def rejected(self) -> tuple[SilverFileResult, ...]:
        return tuple(result for result in self.files if result.outcome == "rejected")

    def to_dict(self) -> dict[str, Any]:
        return {"batch_run_id": self.batch_run_id, "seconds": self.seconds, "files": [f.to_dict() for f in self.files]}


@dataclass(frozen=True)
class SilverInput:
    """A validated file ready for Spark, with the validation record that says how to parse it."""

    name: str
    key: str
    ingest_run_id: str
    record: dict[str, Any]

    @property
    def header_line(self) -> int:
        """The line of the header (lines before it are blank, or Excel's ``sep=``)."""
        return int(self.record.get("header_line") or 1)

    def parse_profile(self) -> ParseProfile:
        from retailctl.jobs.silver import ParseProfile

        positions = tuple(sorted((str(k), int(v)) for k, v in self.record["column_positions"].items()))
        return ParseProfile(
            delimiter=str(self.record["delimiter"]),
            quotechar=str(self.record.get("quotechar") or '"'),
            field_count=len(self.record["header"]),
            column_positions=positions,
        )


def run_silver(
    spark: SparkSession,
    store: ObjectStore,
    config: PipelineConfig,
    names: list[str] | None = None,
    *,
    checkpoint: Checkpoint | None = None,
) -> SilverBatchResult:
    """Run silver over the named files of validated/ (every file there when ``names`` is None)."""
    started = time.monotonic()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    sql_functions.register(spark)
    batch_run_id = layout.new_run_id()
    if names is None:
        names = [layout.name_in(layout.VALIDATED, info.key) for info in store.list(layout.VALIDATED)]
    check_waiting(store, names)
    results: list[SilverFileResult] = []
    inputs: list[SilverInput] = []
    for name in names:
        try:
            inputs.append(prepare_input(store, config, name))
        except FileRejected as problem:
            results.append(_reject_whole(store, name, _record_run_id(store, name), problem, started))
    if inputs:
        results.extend(_run_with_fallback(spark, store, config, inputs, batch_run_id, checkpoint or _no_checkpoint, started))
    order = {name: index for index, name in enumerate(names)}
    ordered = tuple(sorted(results, key=lambda result: order.get(result.file, len(order))))
    return SilverBatchResult(batch_run_id=batch_run_id, files=ordered, seconds=round(time.monotonic() - started, 3))


def check_waiting(store: ObjectStore, names: list[str]) -> None:
    """Raise UsageError naming every file that is not waiting in validated/."""
    missing = [name for name in names if not store.exists(layout.validated_key(name))]
    if missing:
        raise UsageError(f"not waiting in {layout.VALIDATED}: {', '.join(missing)}")


def prepare_input(store: ObjectStore, config: PipelineConfig, name: str) -> SilverInput:
    """The file's validation record, or a fresh description when the record is missing or stale.

    Raises FileRejected when the file would not pass validation.
    """
    key = layout.validated_key(name)
    record = read_json_or(store, layout.validation_record_key(name), None)
    if not isinstance(record, dict) or record.get("size") != store.head(key).size:
        from retailctl.validation import describe_in_place

        run_id = record.get("ingest_run_id") if isinstance(record, dict) else None
        record = describe_in_place(store, key, config, run_id)
    return SilverInput(name=name, key=key, ingest_run_id=str(record["ingest_run_id"]), record=record)


def _record_run_id(store: ObjectStore, name: str) -> str:
    record = read_json_or(store, layout.validation_record_key(name), None)
    return str(record.get("ingest_run_id")) if isinstance(record, dict) and record.get("ingest_run_id") else layout.new_run_id()


@contextmanager
def _session_settings(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Apply SQL settings for the block and restore what was there before (the session is shared)."""
    previous: dict[str, str | None] = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, before in previous.items():
            if before is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, before)


def _no_checkpoint(step: str) -> None:
    return None


def _run_with_fallback(
    spark: SparkSession,
    store: ObjectStore,
    config: PipelineConfig,
    inputs: list[SilverInput],
    batch_run_id: str,
    checkpoint: Checkpoint,
    started: float,
) -> list[SilverFileResult]:
    """The whole batch at once; if that fails, each file on its own so one bad file fails alone."""
    try:
        return _run_batch(spark, store, config, inputs, batch_run_id, checkpoint, started)
    except Exception as error:
        if len(inputs) == 1:
            return [_reject_whole(store, inputs[0].name, inputs[0].ingest_run_id, error, started, traceback.format_exc())]
    results = []
    for one in inputs:
        try:
            results.extend(_run_batch(spark, store, config, [one], layout.new_run_id(), checkpoint, started))
        except Exception as error:
            results.append(_reject_whole(store, one.name, one.ingest_run_id, error, started, traceback.format_exc()))
    return results


def _reject_whole(
    store: ObjectStore, name: str, run_id: str, error: BaseException, started: float, stacktrace: str | None = None
) -> SilverFileResult:
    """Send a file to rejected/system/ with the reason, and say so in its ingest record."""
    key = layout.validated_key(name)
    size = store.head(key).size if store.exists(key) else None
    rejection = SystemRejection(
        file=name,
        source_key=key,
        stage=STAGE,
        reason_code=str(getattr(error, "reason_code", "job_failed")),
        message=str(getattr(error, "message", "") or f"the silver job failed: {type(error).__name__}: {error}"),
        ingest_run_id=run_id,
        details=dict(getattr(error, "details", {}) or {}),
        size=size,
        error_type=type(error).__name__,
        stacktrace=stacktrace or "".join(traceback.format_exception(error)),
    )
    reject_file(store, rejection)
    seconds = round(time.monotonic() - started, 3)
    update_ingest_record(
        store, run_id, outcome="rejected",
        silver={"outcome": "rejected", "reason_code": rejection.reason_code, "message": rejection.message,
                "rejected_key": layout.system_reject_key(name), "seconds": seconds},
    )
    return SilverFileResult(file=name, ingest_run_id=run_id, outcome="rejected", reason=rejection, seconds=seconds)


class _Commit:
    """Everything one batch run put in the lake, so that a failure can take it all back."""

    def __init__(self, store: ObjectStore, staging: str) -> None:
        self.store = store
        self.staging = staging
        self.published: list[str] = []
        self.archived: list[tuple[str, str]] = []

    def publish(self, staged: str, final: str) -> None:
        self.store.move(staged, final)
        self.published.append(final)

    def archive(self, source: str, target: str) -> None:
        self.store.move(source, target)
        self.archived.append((source, target))

    def rollback(self) -> None:
        for key in self.published:
            self.store.delete(key)
        for source, target in self.archived:
            if self.store.exists(target):
                self.store.move(target, source)
        self.store.delete_prefix(self.staging)


def _run_batch(
    spark: SparkSession,
    store: ObjectStore,
    config: PipelineConfig,
    inputs: list[SilverInput],
    batch_run_id: str,
    checkpoint: Checkpoint,
    started: float,
) -> list[SilverFileResult]:
    staging = layout.staging_prefix(STAGE, batch_run_id)
    commit = _Commit(store, staging)
    try:
        stats = _stage(spark, store, config.dataset, inputs, staging)
        checkpoint("staged")
        _publish(store, commit, staging, config.dataset, checkpoint)
        checkpoint("published")
        finished = datetime.now(UTC)
        archive_keys = {}
        for one in inputs:
            archive_keys[one.name] = layout.archive_key(one.name, one.ingest_run_id, finished)
            commit.archive(one.key, archive_keys[one.name])
            if len(commit.archived) == 1:
                checkpoint("archiving")
        checkpoint("archived")
        seconds = round(time.monotonic() - started, 3)
        results = [
            _file_result(one, stats.get(index, FileStats()), archive_keys[one.name], batch_run_id, seconds, store)
            for index, one in enumerate(inputs)
        ]
        store.delete_prefix(staging)
        return results
    except BaseException:
        commit.rollback()
        raise


def _file_result(
    one: SilverInput, stats: FileStats, archive_key: str, batch_run_id: str, seconds: float, store: ObjectStore
) -> SilverFileResult:
    result = SilverFileResult(
        file=one.name,
        ingest_run_id=one.ingest_run_id,
        outcome="archived",
        rows_read=stats.rows_valid + stats.rows_rejected,
        rows_valid=stats.rows_valid,
        rows_rejected=stats.rows_rejected,
        rejects_by_rule=dict(sorted(stats.rejects_by_rule.items())),
        partitions=tuple(sorted(stats.partitions)),
        archive_key=archive_key,
        seconds=seconds,
        lines=stats.lines,
        blank_lines=stats.blank_lines,
    )
    silver = {
        "outcome": "archived",
        "batch_run_id": batch_run_id,
        "lines": result.lines,
        "header_lines": one.header_line,
        "blank_lines": result.blank_lines,
        "rows_read": result.rows_read,
        "rows_valid": result.rows_valid,
        "rows_rejected": result.rows_rejected,
        "rejects_by_rule": result.rejects_by_rule,
        "partitions": list(result.partitions),
        "dq_json_key": layout.dq_json_key(one.ingest_run_id) if result.rows_rejected else None,
        "dq_csv_key": layout.dq_csv_key(one.ingest_run_id) if result.rows_rejected else None,
        "archive_key": archive_key,
        "seconds": seconds,
        "finished_at": datetime.now(UTC).isoformat(),
    }
    update_ingest_record(store, one.ingest_run_id, outcome="archived", archive_key=archive_key, silver=silver)
    return result


def _staging_area(staging: str, area: str) -> str:
    return f"{staging}{area}/"


def _path_key(uri: str) -> str:
    """A Spark file path and a store URI reduced to the same comparable form."""
    return unquote(urlsplit(uri).path) if "://" in uri or uri.startswith("file:") else uri


def _read_keys(store: ObjectStore, inputs: list[SilverInput], staging: str) -> list[str]:
    """The key each input's lines are read from: its own, or a copy in staging when Hadoop would misread its
    name (globs, colons, hidden, a codec's suffix) or its lines end in a carriage return alone (old Mac
    files: the copy ends them in ``\\n``, byte for byte as long, so sizes, blocks and line numbers hold)."""
    keys = []
    for index, one in enumerate(inputs):
        copy = f"{_staging_area(staging, 'input')}{index:05d}.csv"
        if one.record.get("line_terminator") == "\r":
            _copy_with_lf_line_ends(store, one.key, copy)
        elif not _SPARK_SAFE_NAME.match(one.name) or one.name.endswith(_CODEC_SUFFIXES):
            store.copy(one.key, copy)
        else:
            copy = one.key
        keys.append(copy)
    return keys


def _copy_with_lf_line_ends(store: ObjectStore, source: str, target: str) -> None:
    with tempfile.NamedTemporaryFile(prefix="retailctl-lines-") as spool:
        for chunk in with_lf_line_ends(store.iter_chunks(source)):
            spool.write(chunk)
        spool.flush()
        store.upload(target, Path(spool.name))


def _stage(
    spark: SparkSession, store: ObjectStore, dataset: DatasetSpec, inputs: list[SilverInput], staging: str
) -> dict[int, FileStats]:
    """Run the Spark jobs of a batch, writing everything to staging; returns per-file counts."""
    from retailctl.jobs import silver

    keys = _read_keys(store, inputs, staging)
    paths = [store.uri(key) for key in keys]
    stats: dict[int, FileStats] = defaultdict(FileStats)
    odd_lines: dict[int, list[int]] = defaultdict(list)
    total_bytes = sum(int(one.record["size"]) for one in inputs)
    small = total_bytes <= SMALL_BATCH_BYTES
    if len(inputs) <= SMALL_BATCH_FILES and (small or store.local):
        split = ONE_SPLIT_BYTES if small else _balanced_split(spark, total_bytes)
        read_settings = {_SPLIT_BYTES: str(split), _OPEN_COST: str(split)}
        numbered = _numbered_on_driver(spark, store, inputs, keys, stats, odd_lines, split)
    else:
        read_settings = {_SPLIT_BYTES: str(_balanced_split(spark, total_bytes))}
        with _session_settings(spark, read_settings):
            numbered = _numbered_by_spark(spark, store, staging, paths, stats, odd_lines)
    ranges = [
        {"_file": index, "_first": first, "_last": last}
        for index, odd in odd_lines.items()
        for first, last in silver.quoted_record_ranges(odd, inputs[index].header_line)
    ]
    if ranges:
        numbered = silver.stitch_quoted_records(numbered, _staged_table(spark, store, staging, "ranges", silver.RANGE_COLUMNS, ranges))
    return _stage_numbered(spark, store, dataset, inputs, staging, numbered, stats, read_settings)


_SPLIT_BYTES = "spark.sql.files.maxPartitionBytes"
_OPEN_COST = "spark.sql.files.openCostInBytes"
_BYTE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}


def spark_size_bytes(text: str) -> int:
    """A Spark size setting (``134217728b``, ``128m``, ``1g``) in bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not match or match[2].lower() not in _BYTE_UNITS:
        raise UsageError(f"{_SPLIT_BYTES}={text!r} is not a size like 128m")
    return int(match[1]) * _BYTE_UNITS[match[2].lower()]


def _balanced_split(spark: SparkSession, total_bytes: int) -> int:
    largest = spark_size_bytes(str(spark.conf.get(_SPLIT_BYTES)))
    return balanced_split_bytes(total_bytes, spark.sparkContext.defaultParallelism, largest)


def balanced_split_bytes(total_bytes: int, cores: int, largest: int) -> int:
    """The split size that cuts ``total_bytes`` into a whole number of splits per core, none above ``largest``.

    Spark cuts a file into splits of ``maxPartitionBytes``: 385 MB on 2 cores made 128 + 128 + 129 MB,
    two of them ended in one task, and the write took as long as that task (80 s against 50 s).
    """
    rounds = max(1, -(-total_bytes // (cores * largest)))
    return max(1, -(-total_bytes // (cores * rounds)))


SMALL_BATCH_BYTES = 64 * 1024 * 1024
SMALL_BATCH_FILES = 16
"""A batch of at most this many files has its lines counted on the driver (no line-count job) when it
is local or at most this many bytes. Each block of each file is then a Spark partition of its own: with
many small files, setting up a partition costs more than the line-count job saves (200 files of 5k rows:
41 CPU s against 34)."""
ONE_SPLIT_BYTES = 128 * 1024 * 1024
"""A small batch's split size: every file is one Spark split of its own."""


def _numbered_on_driver(
    spark: SparkSession,
    store: ObjectStore,
    inputs: list[SilverInput],
    keys: list[str],
    stats: dict[int, FileStats],
    odd_lines: dict[int, list[int]],
    split_bytes: int,
) -> DataFrame:
    """Lines and odd-quote lines counted from the bytes here; each file read in blocks of ``split_bytes``.

    The read settings make every block a Spark partition of its own (the open cost of a file equals
    the split size, so Spark packs no two into one), so a line's place in its partition numbers it.
    """
    from functools import reduce

    from retailctl.jobs import silver

    reads = []
    for index, (one, key) in enumerate(zip(inputs, keys, strict=True)):
        count = count_lines(store.iter_chunks(key), block_starts(int(one.record["size"]), split_bytes))
        stats[index].lines = count.lines
        odd_lines[index] = count.odd_quote_lines
        reads.append(silver.number_blocks(spark.read.option("lineSep", "\n").text(store.uri(key)), index, count.first_lines))
    return reduce(lambda left, right: left.unionByName(right), reads)


def _numbered_by_spark(
    spark: SparkSession,
    store: ObjectStore,
    staging: str,
    paths: list[str],
    stats: dict[int, FileStats],
    odd_lines: dict[int, list[int]],
) -> DataFrame:
    """Any batch: a line-count job over the raw text gives each ``(file, block)`` its first line number."""
    from pyspark.sql import functions as F

    from retailctl.jobs import silver

    file_index = {_path_key(path): index for index, path in enumerate(paths)}
    lines = silver.block_lines(spark.read.option("lineSep", "\n").text(paths))
    counted = (
        lines.groupBy("_path", "_block")
        .agg(F.count(F.lit(1)).alias("lines"), F.min("_id").alias("first_id"),
             F.collect_list(F.when(silver.quote_count_is_odd(F.col("value")), F.col("_id"))).alias("odd_ids"))
        .collect()
    )
    blocks = []
    for block in sorted(counted, key=lambda row: (row["_path"], row["_block"])):
        index = file_index[_path_key(block["_path"])]
        line_base = stats[index].lines - block["first_id"] + 1
        blocks.append({"_path": block["_path"], "_block": block["_block"], "_file": index, "_base": line_base})
        odd_lines[index].extend(line_id + line_base for line_id in block["odd_ids"])
        stats[index].lines += block["lines"]
    return silver.number_lines(lines, _staged_table(spark, store, staging, "blocks", silver.BLOCK_COLUMNS, blocks))


def _stage_numbered(
    spark: SparkSession,
    store: ObjectStore,
    dataset: DatasetSpec,
    inputs: list[SilverInput],
    staging: str,
    numbered: DataFrame,
    stats: dict[int, FileStats],
    read_settings: dict[str, str],
) -> dict[int, FileStats]:
    """Parse, check and stage every numbered record, count the outcomes, and stage the rejects.

    ``read_settings`` apply while the raw text is read (during the staging write).
    """
    from retailctl.jobs import silver

    profiles = []
    profile_of = []
    for one in inputs:
        profile = one.parse_profile()
        if profile not in profiles:
            profiles.append(profile)
        profile_of.append(profiles.index(profile))
    labelled = silver.label_files(
        silver.records(numbered, [one.header_line for one in inputs], "".join(sorted({profile.delimiter for profile in profiles}))),
        [one.ingest_run_id for one in inputs],
        [one.name for one in inputs],
        profile_of,
    )
    parsed = silver.parse_fields(labelled, profiles, dataset)
    rules = silver.dataset_rules(dataset)
    now = datetime.now(UTC)
    staged_uri = store.uri(_staging_area(staging, "classified"))
    with _session_settings(spark, read_settings):
        (
            silver.staged_rows(silver.classify(parsed, dataset, rules), dataset, now)
            .coalesce(spark.sparkContext.defaultParallelism)
            .write.partitionBy(silver.OUTCOME)
            .parquet(staged_uri)
        )
    by_run = {one.ingest_run_id: stats[index] for index, one in enumerate(inputs)}
    classified = _staged_files(store, _staging_area(staging, "classified"))
    staged = [StagedFile(info, outcome) for info, outcome in classified]
    count_staged(store, [one for one in staged if one.outcome != silver.NOT_VALID_OUTCOME], by_run)
    rejects = [one for one in staged if one.outcome == silver.NOT_VALID_OUTCOME]
    files = {one.ingest_run_id: one.name for one in inputs}
    reasons = RejectReasons(rules, [spec.name for spec in dataset.columns], dataset.dedup_key)
    stage_rejects(store, rejects, by_run, files, reasons, now, _staging_area(staging, "dq"))
    return stats


def _staged_table(
    spark: SparkSession, store: ObjectStore, staging: str, name: str, schema: str, rows: list[dict[str, Any]]
) -> DataFrame:
    """A small table built here as a DataFrame, read from a JSON lines file in staging (no Python workers)."""
    key = f"{_staging_area(staging, name)}{name}.json"
    store.write(key, "".join(json.dumps(row) + "\n" for row in rows).encode())
    return spark.read.schema(schema).json(store.uri(key))


def _staged_files(store: ObjectStore, area: str) -> Iterator[tuple[ObjectInfo, str]]:
    """Each data file Spark wrote under ``area`` with its partition value."""
    for info in store.list(area):
        match = _PARTITION_DIR.match(info.key[len(area):])
        if match and not match["file"].startswith((".", "_")):
            yield info, unquote(match["value"])


def _publish(store: ObjectStore, commit: _Commit, staging: str, dataset: DatasetSpec, checkpoint: Checkpoint) -> None:
    """Move staged files to their places: silver by day, one rejects JSON and one CSV per run."""
    from retailctl.jobs.silver import NOT_VALID_OUTCOME

    classified = _staging_area(staging, "classified")
    moves = [
        (info.key, layout.processed_partition(day, dataset.partition_name) + info.key.rsplit("/", 1)[-1])
        for info, day in _staged_files(store, classified)
        if day != NOT_VALID_OUTCOME
    ]
    final_key = {"json": layout.dq_json_key, "csv": layout.dq_csv_key}
    moves += [(key, final_key[kind](run_id)) for key, kind, run_id in staged_reject_files(store, _staging_area(staging, "dq"))]
    for staged, final in moves:
        commit.publish(staged, final)
        if len(commit.published) == 1:
            checkpoint("publishing")
