"""Gold compaction: processed/ -> gold/<table>/, deduplicated, incremental, swapped in per partition.

Design
------
* The **watermark** (``audit/gold_compaction/watermark.json``) lists the silver files gold has absorbed.
  An incremental run reads only silver files missing from it (within ``--dates`` when given).
* **Gold's keys**: every gold row carries its key, its lineage (the ordering fields) and its date, and
  parquet reads those columns alone, so an incremental run looks keys up in gold itself; no separate
  index is written.
* **Key ranges**: a gold file whose footer's key range misses the new silver's key range cannot share
  a key with it. When no gold file can, the run merges nothing: new gold of each affected date = its old
  rows + the new silver's latest rows (keys that grow with time, as sequence numbers and time-ordered ids
  do, make this the common incremental run).
* **Merge**: candidates = the new silver rows + the gold keys matching theirs (from the files whose range overlaps). Per key the latest
  ingest wins (:func:`retailctl.jobs.gold.rank_latest`). Keys won by a silver row are *changed*;
  affected dates = dates of the new winners + dates of the gold rows they displace (a key that
  moved to another date, or an older version replaced in place). For each affected date:
  new gold = old gold of that date minus the changed keys + the new winners of that date. Other
  partitions are neither read nor rewritten.
* **Appends**: an affected date none of whose gold rows is displaced, holding fewer files than
  ``limits.gold_max_files_per_date``, keeps its old files as they are and gets its new rows as files beside
  them; a date with a displaced row, or as many files, is rewritten whole, compacted into as few files as
  the target size allows (as every date of a ``full`` run).
* ``full`` rebuilds the chosen dates (every date by default) from all their silver files; gold rows
  of dates outside the rebuild still compete, so a key that is newer elsewhere stays there.
* **Atomic**: gold partitions are written to ``_staging/gold/<run>/``, then swapped one date
  at a time (new files placed, old ones moved aside unless appended to). Any failure restores every swapped partition
  from the moved-aside files, removes the staging and writes a failed summary; the watermark is
  written only after all swaps, so the next run retries the same silver files.
* **Files**: one Spark task per date (a small run with nothing to merge computes in a single task, see
  :data:`ONE_TASK_BYTES`); ``maxRecordsPerFile`` from the target file size and the bytes
  per row of the silver files read, so a small day is one file.
* **Cost**: Spark runs only what needs the data: the dedup and gold write (one shuffle by key, one by
  date, none for a small run); an incremental merge adds one aggregate over the (small) ranked
  candidates for the affected dates, moved-out rows and keys new to gold. Row counts of silver and
  gold come from parquet footers, rows and runs per staged date from the staged run id column, all
  read through the store; files are listed on the driver and read with known schemas (no listing or
  schema-inference jobs); the new keys are broadcast, and their range (from footer statistics) lets
  parquet skip gold files that cannot hold them. The key check counts distinct silver keys without a
  scan where the run knows them (see ``_Compaction._key_check``).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.errors import CompactionFailed, UsageError
from retailctl.jobs import gold
from retailctl.notify import LocalNotifier, Notifier
from retailctl.storage import ObjectInfo, ObjectStore, read_json_or, write_json
from retailctl.storage.parquet import parquet_footer, value_counts

if TYPE_CHECKING:
    import pyarrow.parquet as pq
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger("retailctl.gold")

Checkpoint = Callable[[str], None]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SILVER, _GOLD, _MOVED = "silver", "gold", "moved"
_Read = TypeVar("_Read")


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of partition dates (``--dates FROM[:TO]``)."""

    start: date
    end: date

    def contains(self, day: str) -> bool:
        return self.start.isoformat() <= day <= self.end.isoformat()

    def __str__(self) -> str:
        return f"{self.start}:{self.end}" if self.start != self.end else str(self.start)


def parse_date_range(text: str) -> DateRange:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM-DD:YYYY-MM-DD``; UsageError saying what is wrong otherwise."""
    parts = text.strip().split(":")
    if len(parts) > 2 or not all(_DAY.match(part) for part in parts):
        raise UsageError(f"--dates {text!r}: expected YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD")
    try:
        days = [date.fromisoformat(part) for part in parts]
    except ValueError as exc:
        raise UsageError(f"--dates {text!r}: {exc}") from None
    if days[-1] < days[0]:
        raise UsageError(f"--dates {text!r}: the range ends before it starts")
    return DateRange(days[0], days[-1])


@dataclass
class PartitionMetrics:
    """What one compaction run did to one gold partition (``audit/gold_compaction/date=D/metrics.json``).

    ``rows_out``, ``files_out`` and ``bytes_out`` describe the partition as the run left it; ``files_kept`` of those
    files were left as they were (an append); ``source_ingest_runs`` are the ingest runs of the rows the run wrote.
    """

    date: str
    run_id: str
    rows_in: int = 0
    rows_out: int = 0
    duplicates_removed: int = 0
    rows_moved_out: int = 0
    files_in: int = 0
    files_out: int = 0
    files_kept: int = 0
    bytes_out: int = 0
    source_ingest_runs: list[str] = field(default_factory=list)
    started_at: str = ""
    ended_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GoldRunSummary:
    """One compaction run (``audit/gold_compaction/last_run_summary.json`` and ``runs/<run_id>.json``)."""

    run_id: str
    status: str = "running"
    mode: str = "incremental"
    dates: str | None = None
    new_silver_files: int = 0
    partitions_rewritten: list[str] = field(default_factory=list)
    partitions_appended: list[str] = field(default_factory=list)
    partitions_skipped: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    ended_at: str = ""
    duration_seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Lake:
    """The objects a run starts from, by partition date."""

    silver: dict[str, list[ObjectInfo]]
    gold: dict[str, list[ObjectInfo]]
    seen: frozenset[str]
    watermark_run: str | None = None


def run_gold_compaction(
    spark: SparkSession,
    store: ObjectStore,
    config: PipelineConfig,
    *,
    full: bool = False,
    dates: str | DateRange | None = None,
    notifier: Notifier | None = None,
    checkpoint: Checkpoint | None = None,
) -> GoldRunSummary:
    """Compact silver into gold (incremental unless ``full``), write the audit files and return the summary.

    ``checkpoint`` is called with each step ("planned", "staged", "swapping:<date>",
    "placed:<date>", "swapped:<date>", "committing"); an exception it raises fails the run like
    any other: every swapped partition is restored, staging removed, a failed summary written,
    ``notifier`` told, and CompactionFailed raised.
    """
    window = _date_window(dates)
    run_id = layout.new_run_id()
    summary = GoldRunSummary(
        run_id=run_id,
        mode="full" if full else "incremental",
        dates=str(window) if window else None,
        started_at=_now(),
    )
    clock = time.monotonic()
    step = checkpoint or _no_checkpoint
    swap = _PartitionSwap(store, run_id)
    try:
        metrics = _Compaction(spark, store, config, summary, window, step, swap).run(full)
    except Exception as exc:
        swap.rollback()
        store.delete_prefix(layout.staging_prefix("gold", run_id))
        summary.status = "failed"
        summary.errors.append({"error": f"{type(exc).__name__}: {exc}", "stacktrace": traceback.format_exc()})
        _finish(store, summary, clock)
        (notifier or LocalNotifier(store)).notify(
            f"retailctl gold compaction {run_id} failed",
            {"run_id": run_id, "error": f"{type(exc).__name__}: {exc}", "summary_key": layout.gold_run_summary_key(run_id)},
        )
        raise CompactionFailed(
            f"gold compaction {run_id} failed and was rolled back (gold is as before): {type(exc).__name__}: {exc}",
            summary.to_dict(),
        ) from exc
    store.delete_prefix(layout.staging_prefix("gold", run_id))
    for item in metrics:
        write_json(store, layout.gold_metrics_key(item.date), item.to_dict())
    summary.status = "ok"
    _finish(store, summary, clock)
    return summary


def describe_changes(summary: Mapping[str, Any]) -> str:
    """What a run (its summary as a dict) did to gold's partitions, in words: "2 partition(s) rewritten, 1 appended to"."""
    return (
        f"{len(summary.get('partitions_rewritten') or [])} partition(s) rewritten, "
        f"{len(summary.get('partitions_appended') or [])} appended to"
    )


def _no_checkpoint(_: str) -> None:
    return None


def _finish(store: ObjectStore, summary: GoldRunSummary, clock: float) -> None:
    summary.ended_at = _now()
    summary.duration_seconds = round(time.monotonic() - clock, 3)
    payload = summary.to_dict()
    write_json(store, layout.gold_run_summary_key(summary.run_id), payload)
    write_json(store, layout.gold_summary_key(), payload)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def files_by_day(store: ObjectStore, base: str, partition_name: str) -> dict[str, list[ObjectInfo]]:
    """The parquet files of a date-partitioned dataset under ``base``, by partition date."""
    found: dict[str, list[ObjectInfo]] = {}
    marker = f"{partition_name}="
    for info in store.list(base):
        folder, _, name = layout.name_in(base, info.key).partition("/")
        day = folder.removeprefix(marker)
        if folder.startswith(marker) and _DAY.match(day) and name.endswith(".parquet") and not name.startswith((".", "_")):
            found.setdefault(day, []).append(info)
    return found


class _PartitionSwap:
    """Replaces partitions whole, remembering enough to put every one back until committed."""

    def __init__(self, store: ObjectStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.aside = layout.gold_staging_area(run_id, "replaced")
        self.done: list[tuple[list[str], list[tuple[str, str]]]] = []

    def replace(self, target: str, staged: Iterable[str], old: Iterable[str], placed_step: Callable[[], None]) -> list[str]:
        """Move ``staged`` files into ``target`` under new names, then move the ``old`` ones aside."""
        placed: list[str] = []
        moved: list[tuple[str, str]] = []
        self.done.append((placed, moved))
        for number, key in enumerate(sorted(staged)):
            destination = target + layout.gold_file_name(self.run_id, number)
            self.store.move(key, destination)
            placed.append(destination)
        placed_step()
        for key in old:
            self.store.move(key, self.aside + key)
            moved.append((key, self.aside + key))
        return placed

    def rollback(self) -> None:
        for placed, moved in reversed(self.done):
            for key in placed:
                self.store.delete(key)
            for original, aside in moved:
                self.store.move(aside, original)
        self.done.clear()


class _Compaction:
    """One run: plan from the listings and parquet footers, stage with Spark, swap, and account for every row."""

    def __init__(
        self,
        spark: SparkSession,
        store: ObjectStore,
        config: PipelineConfig,
        summary: GoldRunSummary,
        window: DateRange | None,
        step: Checkpoint,
        swap: _PartitionSwap,
    ) -> None:
        self.spark = spark
        self.store = store
        self.config = config
        self.dataset = config.dataset
        self.part = config.dataset.partition_name
        self.summary = summary
        self.window = window
        self.step = step
        self.swap = swap
        self.gold_base = layout.gold_table_prefix(self.dataset.gold_table)
        self.staged_gold = layout.gold_staging_area(summary.run_id, "gold")
        self.cached: list[DataFrame] = []

    def run(self, full: bool) -> list[PartitionMetrics]:
        try:
            return self._run(full)
        finally:
            for df in self.cached:
                df.unpersist()

    def _run(self, full: bool) -> list[PartitionMetrics]:
        lake = self._survey()
        rebuild = {day for day in lake.silver.keys() | lake.gold.keys() if _in_window(self.window, day)} if full else set()
        by_day = _silver_to_read(lake.silver, lake.seen, self.window, rebuild)
        sources = _each(by_day)
        self.summary.new_silver_files = sum(1 for info in sources if info.key not in lake.seen)
        self.step("planned")
        if not sources and not rebuild:
            self.summary.partitions_skipped = sorted(lake.gold)
            self.summary.check = self._previous_check()
            return []
        started = _now()
        competing = {day: infos for day, infos in lake.gold.items() if day not in rebuild}
        footers = _footers(self.store, by_day)
        tally = {(day, _SILVER): sum(footer.num_rows for footer in items) for day, items in footers.items()}
        silver = self._read_silver(sources)
        key_range = _value_range((f for items in footers.values() for f in items), self.dataset.dedup_key)
        gold_footers = _footers(self.store, competing)
        overlapping = _may_share_keys(competing, gold_footers, self.dataset.dedup_key, key_range)
        one_task = False
        fresh_keys: int | None = None
        if overlapping:
            output, affected, appended, fresh_keys = self._merge(silver, lake, overlapping, rebuild, tally, key_range)
        else:
            affected = rebuild | by_day.keys()
            appended = self._appendable(lake, affected - rebuild)
            kept = {day: lake.gold[day] for day in affected - rebuild - appended if day in lake.gold}
            one_task = sum(info.size for info in [*sources, *_each(kept)]) <= ONE_TASK_BYTES
            output = self._beside_gold(silver, kept, one_task)
        for day in affected & gold_footers.keys():
            tally[(day, _GOLD)] = sum(footer.num_rows for footer in gold_footers[day])
        output = gold.with_date_partition(output, self.dataset)
        self._stage(output if one_task else output.repartition(self.part), tally, sources)
        self.step("staged")
        staged = self._staged_stats()
        if fresh_keys is None:
            rewritten_gold = sum(n for (day, kind), n in tally.items() if kind == _GOLD and day not in appended)
            fresh_keys = sum(rows for rows, _ in staged.values()) - rewritten_gold
        metrics = self._swap_all(sorted(affected), lake, by_day, rebuild, appended, staged, tally, started)
        self._write_watermark(lake, sources)
        self.summary.partitions_rewritten = [item.date for item in metrics if item.date not in appended]
        self.summary.partitions_appended = sorted(appended)
        self.summary.partitions_skipped = sorted(set(lake.gold) - affected)
        self.summary.totals = _totals(metrics)
        self.summary.check = self._key_check(lake, sources, full, not competing, staged, fresh_keys)
        self.step("committing")
        return metrics

    def _survey(self) -> _Lake:
        watermark = read_json_or(self.store, layout.gold_watermark_key(), {})
        return _Lake(
            silver=files_by_day(self.store, layout.PROCESSED, self.part),
            gold=files_by_day(self.store, self.gold_base, self.part),
            seen=frozenset(watermark.get("files", [])),
            watermark_run=watermark.get("run_id"),
        )

    def _appendable(self, lake: _Lake, days: Iterable[str]) -> set[str]:
        """The ``days`` whose new rows can go beside their gold files: those holding fewer than the configured most."""
        most = self.config.limits.gold_max_files_per_date
        return {day for day in days if 0 < len(lake.gold.get(day, [])) < most}

    def _read(self, schema: StructType, base: str, infos: Iterable[ObjectInfo]) -> DataFrame:
        """The given files of a date-partitioned dataset, listed on the driver (no listing job) with a known schema."""
        paths = [self.store.uri(info.key) for info in infos]
        with _serial_listing(self.spark, len(paths)):
            return self.spark.read.schema(schema).option("basePath", self.store.uri(base)).parquet(*paths)

    def _read_silver(self, sources: list[ObjectInfo]) -> DataFrame:
        from pyspark.sql import functions as F

        schema = gold.silver_schema(self.dataset)
        silver = self._read(schema, layout.PROCESSED, sources) if sources else self.spark.createDataFrame([], schema)
        return silver.withColumn(gold.FROM_GOLD, F.lit(False))

    def _beside_gold(self, silver: DataFrame, kept: dict[str, list[ObjectInfo]], one_task: bool) -> DataFrame:
        """New gold rows when no gold row shares a key with ``silver``: its latest rows, plus the old rows of ``kept`` dates.

        ``one_task`` computes it all in one task (no shuffle: one file a date).
        """
        winners = gold.to_gold(gold.latest_per_key(silver.coalesce(1) if one_task else silver, self.dataset), self.dataset)
        if not kept:
            return winners
        both = winners.unionByName(self._read(winners.schema, self.gold_base, _each(kept)))
        return both.coalesce(1) if one_task else both

    def _merge(
        self,
        silver: DataFrame,
        lake: _Lake,
        competing: dict[str, list[ObjectInfo]],
        rebuild: set[str],
        tally: dict[tuple[str, str], int],
        key_range: tuple[Any, Any] | None,
    ) -> tuple[DataFrame, set[str], set[str], int]:
        """New gold rows, the affected dates and those of them appended to; adds moved-out rows to ``tally``; keys new to gold.

        ``competing`` are the gold files whose rows compete with the new silver rows; ``key_range`` (the
        new silver keys' bounds, from footers) lets parquet skip files and row groups that cannot hold
        any of those keys.
        """
        from pyspark.sql import functions as F

        key = self.dataset.dedup_key
        gold_keys = self._read(gold.key_schema(self.dataset), self.gold_base, _each(competing))
        if key_range is not None:
            gold_keys = gold_keys.filter(F.col(key).between(*key_range))
        silver_rows = sum(count for (_, kind), count in tally.items() if kind == _SILVER)
        entries = gold_keys.join(_small(silver.select(key), silver_rows), key, "left_semi").withColumn(gold.FROM_GOLD, F.lit(True))
        ranked = gold.rank_latest(silver.unionByName(entries, allowMissingColumns=True), self.dataset).persist()
        self.cached.append(ranked)
        winner, displaced = gold.is_new_winner(), gold.is_displaced()
        moved = displaced & (F.col(gold.WINNER_DATE) != F.col(self.part))
        per_day = ranked.groupBy(self.part).agg(
            F.sum(winner.cast("long")),
            F.sum(displaced.cast("long")),
            F.sum(moved.cast("long")),
            F.sum((F.col(gold.RANK) == 1).cast("long")),
            F.sum(F.col(gold.FROM_GOLD).cast("long")),
        )
        counts = [(row[0], *(int(value or 0) for value in row[1:])) for row in per_day.collect()]
        affected = rebuild | {day for day, wins, lost, *_ in counts if wins or lost}
        for day, _, _, moved_out, _, _ in counts:
            if moved_out:
                tally[(day, _MOVED)] = moved_out
        keys_new_to_gold = sum(keys for *_, keys, _ in counts) - sum(in_gold for *_, in_gold in counts)
        winners = ranked.filter(winner)
        outputs = gold.to_gold(winners, self.dataset)
        displaced_on = {day for day, _, lost, *_ in counts if lost}
        appended = self._appendable(lake, affected - rebuild - displaced_on)
        kept = {day: lake.gold[day] for day in sorted(affected - rebuild - appended) if day in lake.gold}
        if kept:
            old_gold = self._read(outputs.schema, self.gold_base, _each(kept))
            changed = _small(winners.select(key), sum(wins for _, wins, *_ in counts))
            outputs = outputs.unionByName(old_gold.join(changed, key, "left_anti"))
        return outputs, affected, appended, keys_new_to_gold

    def _stage(self, output: DataFrame, tally: dict[tuple[str, str], int], sources: list[ObjectInfo]) -> None:
        silver_rows = sum(count for (_, kind), count in tally.items() if kind == _SILVER)
        silver_bytes = sum(info.size for info in sources)
        target_bytes = self.config.limits.gold_target_file_mb * 1024 * 1024
        rows_per_file = max(1000, target_bytes * silver_rows // silver_bytes) if silver_bytes and silver_rows else 1_000_000
        output.write.option("maxRecordsPerFile", rows_per_file).partitionBy(self.part).parquet(self.store.uri(self.staged_gold))

    def _staged(self, area: str) -> dict[str, list[ObjectInfo]]:
        return files_by_day(self.store, area, self.part)

    def _staged_stats(self) -> dict[str, tuple[int, list[str]]]:
        """Rows and ingest runs per staged date, from the staged gold's run id column (no Spark job)."""
        by_file = _each_file(self._staged(self.staged_gold), partial(value_counts, self.store, column="ingest_run_id"))
        runs = {day: sum(counts, Counter()) for day, counts in by_file.items()}
        return {day: (sum(counts.values()), sorted(counts)) for day, counts in runs.items()}

    def _swap_all(
        self,
        days: list[str],
        lake: _Lake,
        sources: dict[str, list[ObjectInfo]],
        rebuild: set[str],
        appended: set[str],
        staged: dict[str, tuple[int, list[str]]],
        tally: dict[tuple[str, str], int],
        started: str,
    ) -> list[PartitionMetrics]:
        staged_gold = self._staged(self.staged_gold)
        metrics = []
        for day in days:
            self.step(f"swapping:{day}")
            old = lake.gold.get(day, [])
            kept = old if day in appended else []
            placed = self.swap.replace(
                layout.gold_partition(day, self.dataset.gold_table, self.part),
                [info.key for info in staged_gold.get(day, [])],
                [] if kept else [info.key for info in old],
                partial(self.step, f"placed:{day}"),
            )
            self.step(f"swapped:{day}")
            rows_written, runs = staged.get(day, (0, []))
            rows_out = rows_written + (tally.get((day, _GOLD), 0) if kept else 0)
            rows_in = tally.get((day, _SILVER), 0) + tally.get((day, _GOLD), 0)
            moved = tally.get((day, _MOVED), 0)
            metrics.append(
                PartitionMetrics(
                    date=day,
                    run_id=self.summary.run_id,
                    rows_in=rows_in,
                    rows_out=rows_out,
                    duplicates_removed=rows_in - rows_out - moved,
                    rows_moved_out=moved,
                    files_in=len(sources.get(day, [])) + (0 if day in rebuild else len(old)),
                    files_out=len(placed) + len(kept),
                    files_kept=len(kept),
                    bytes_out=sum(info.size for info in [*staged_gold.get(day, []), *kept]),
                    source_ingest_runs=runs,
                    started_at=started,
                    ended_at=_now(),
                )
            )
        return metrics

    def _write_watermark(self, lake: _Lake, sources: list[ObjectInfo]) -> None:
        existing = {info.key for infos in lake.silver.values() for info in infos}
        files = sorted((lake.seen & existing) | {info.key for info in sources})
        write_json(self.store, layout.gold_watermark_key(), {"run_id": self.summary.run_id, "updated_at": _now(), "files": files})

    def _key_check(
        self,
        lake: _Lake,
        sources: list[ObjectInfo],
        full: bool,
        rebuilt_alone: bool,
        staged: dict[str, tuple[int, list[str]]],
        keys_new_to_gold: int | None,
    ) -> dict[str, Any]:
        """Gold rows (parquet footers of gold as swapped in) against the distinct keys of the silver gold has absorbed.

        The distinct keys come without a scan of all silver where this run already knows them: when no
        gold outside the rebuild competed (``rebuilt_alone``) and this run read every silver file gold
        has absorbed (a full rebuild, or the first run), its dedup kept one row per distinct key (counted
        in the staged gold); an incremental run adds the keys new to gold to the count of the run that
        wrote the watermark, when that check held and none of the silver it absorbed has gone since.
        Otherwise the absorbed silver's keys are counted with Spark.
        """
        gold_rows = sum(_rows_by_day(self.store, files_by_day(self.store, self.gold_base, self.part)).values())
        existing = {info.key for infos in lake.silver.values() for info in infos}
        absorbed = {info.key: info for infos in lake.silver.values() for info in infos if info.key in lake.seen}
        absorbed.update({info.key: info for info in sources})
        previous = self._watermark_check(lake)
        if rebuilt_alone and absorbed.keys() <= {info.key for info in sources}:
            keys = sum(rows for rows, _ in staged.values())
        elif not full and keys_new_to_gold is not None and previous.get("ok") and lake.seen <= existing:
            keys = int(previous["distinct_silver_keys"]) + keys_new_to_gold
        else:
            keys = self._read_silver(list(absorbed.values())).select(self.dataset.dedup_key).distinct().count()
        return {"gold_rows": gold_rows, "distinct_silver_keys": keys, "ok": gold_rows == keys}

    def _watermark_check(self, lake: _Lake) -> dict[str, Any]:
        """The key check of the run that last moved the watermark (empty when there is none)."""
        if not lake.watermark_run:
            return {}
        run = read_json_or(self.store, layout.gold_run_summary_key(lake.watermark_run), {})
        return dict(run.get("check") or {}) if run.get("status") == "ok" else {}

    def _previous_check(self) -> dict[str, Any]:
        previous = read_json_or(self.store, layout.gold_summary_key(), {})
        check: dict[str, Any] = dict(previous.get("check") or {})
        if check:
            check["from_run"] = previous.get("run_id")
        return check


ONE_TASK_BYTES = 1024 * 1024
"""Gold with nothing to merge and at most this much to read (new silver and the old gold of its dates) is
computed in one task: the dedup and the write by date need no shuffle (a 1k-row ingest's gold step: one Spark
job instead of three, 1.8 -> 1.2 s). A cold JVM runs one task at ~12k rows a second, so larger runs use both
cores: cold ingests of 10k and 30k rows take the same time either way; a 55k-row day joining 51k old gold
rows took 5.0-5.1 s to stage in one task against 3.3-4.2 s shuffled."""

_SMALL_ROWS = 2_000_000
"""A join side of at most this many rows (of one key column) is broadcast: the other side is not shuffled."""


def _small(keys: DataFrame, rows: int) -> DataFrame:
    from pyspark.sql import functions as F

    return F.broadcast(keys) if rows <= _SMALL_ROWS else keys


@contextmanager
def _serial_listing(spark: SparkSession, paths: int) -> Iterator[None]:
    """List ``paths`` files on the driver: Spark would otherwise run a job to list more than 32 of them."""
    setting = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    previous = str(spark.conf.get(setting))
    spark.conf.set(setting, str(max(paths, 32)))
    try:
        yield
    finally:
        spark.conf.set(setting, previous)


def _date_window(dates: str | DateRange | None) -> DateRange | None:
    return parse_date_range(dates) if isinstance(dates, str) else dates


def _in_window(window: DateRange | None, day: str) -> bool:
    return window is None or window.contains(day)


def _silver_to_read(
    silver: dict[str, list[ObjectInfo]], seen: frozenset[str], window: DateRange | None, rebuild: set[str]
) -> dict[str, list[ObjectInfo]]:
    """The silver files a run reads, by date: every file of a rebuilt date, else those the watermark lacks."""
    return {
        day: picked
        for day, infos in sorted(silver.items())
        if _in_window(window, day) and (picked := [i for i in infos if day in rebuild or i.key not in seen])
    }


def silver_files_to_read(
    store: ObjectStore, config: PipelineConfig, *, full: bool = False, dates: str | DateRange | None = None
) -> dict[str, list[ObjectInfo]]:
    """The silver files a run would read, by date: those the watermark lacks, or every file of a ``full`` rebuild."""
    window = _date_window(dates)
    silver = files_by_day(store, layout.PROCESSED, config.dataset.partition_name)
    seen = frozenset(read_json_or(store, layout.gold_watermark_key(), {}).get("files", []))
    rebuild = {day for day in silver if _in_window(window, day)} if full else set()
    return _silver_to_read(silver, seen, window, rebuild)


def silver_bytes_to_read(store: ObjectStore, config: PipelineConfig, *, full: bool = False, dates: str | DateRange | None = None) -> int:
    """The bytes of silver a run would read (it sizes the local Spark session: a small incremental run stays light)."""
    return sum(info.size for info in _each(silver_files_to_read(store, config, full=full, dates=dates)))


def _each_file(by_day: dict[str, list[ObjectInfo]], read: Callable[[ObjectInfo], _Read]) -> dict[str, list[_Read]]:
    """``read`` of each date's files, a few files at a time (each read is a ranged read or two)."""
    pairs = [(day, info) for day, infos in by_day.items() for info in infos]
    found: dict[str, list[_Read]] = {day: [] for day in by_day}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for (day, _), result in zip(pairs, pool.map(lambda pair: read(pair[1]), pairs), strict=True):
            found[day].append(result)
    return found


def _each(by_day: dict[str, list[ObjectInfo]]) -> list[ObjectInfo]:
    return [info for infos in by_day.values() for info in infos]


def _footers(store: ObjectStore, by_day: dict[str, list[ObjectInfo]]) -> dict[str, list[pq.FileMetaData]]:
    """The parquet footers of each date's files."""
    return _each_file(by_day, partial(parquet_footer, store))


def _rows_by_day(store: ObjectStore, by_day: dict[str, list[ObjectInfo]]) -> dict[str, int]:
    """Rows per date from the parquet footers of each date's files."""
    return {day: sum(footer.num_rows for footer in footers) for day, footers in _footers(store, by_day).items()}


def _may_share_keys(
    competing: dict[str, list[ObjectInfo]], footers: dict[str, list[pq.FileMetaData]], column: str, key_range: tuple[Any, Any] | None
) -> dict[str, list[ObjectInfo]]:
    """The gold files whose keys may meet the new silver's: their footers' range of ``column`` overlaps ``key_range``.

    Keys that grow with time put a new day's keys beyond every older file's range, and the run needs no
    merge (a 55k-row day on a 90-day, 5M-row lake, cold: 10 Spark jobs -> 3, 12.2 -> 8.7 s). Files without
    key statistics, or silver without them, always compete.
    """
    if key_range is None:
        return competing
    low, high = key_range
    overlapping: dict[str, list[ObjectInfo]] = {}
    for day, infos in competing.items():
        for info, footer in zip(infos, footers[day], strict=True):
            bounds = _value_range([footer], column)
            if bounds is None or (bounds[0] <= high and low <= bounds[1]):
                overlapping.setdefault(day, []).append(info)
    return overlapping


def _value_range(footers: Iterable[pq.FileMetaData], column: str) -> tuple[Any, Any] | None:
    """The smallest and largest value of ``column`` from the footers' statistics; None when any lacks them."""
    lows, highs = [], []
    for footer in footers:
        names = footer.schema.names
        if column not in names:
            return None
        for number in range(footer.num_row_groups):
            stats = footer.row_group(number).column(names.index(column)).statistics
            if footer.row_group(number).num_rows == 0:
                continue
            if stats is None or not stats.has_min_max:
                return None
            lows.append(stats.min)
            highs.append(stats.max)
    return (min(lows), max(highs)) if lows else None


def _totals(metrics: list[PartitionMetrics]) -> dict[str, int]:
    names = ("rows_in", "rows_out", "duplicates_removed", "rows_moved_out", "files_in", "files_out", "bytes_out")
    return {name: sum(getattr(item, name) for item in metrics) for name in names}
