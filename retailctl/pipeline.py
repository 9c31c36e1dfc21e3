"""The whole pipeline over files waiting in raw/: validate each, silver for the batch, gold once.

Spark starts only when a file passed validation, and one SparkSession serves the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from retailctl import layout, ledger
from retailctl.config import PipelineConfig
from retailctl.errors import JobFailed
from retailctl.jobs.gold_runner import describe_changes, run_gold_compaction
from retailctl.storage import ObjectStore
from retailctl.validation import ValidationOutcome, validate_key

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from retailctl.jobs.silver_runner import SilverBatchResult

Progress = Callable[[str, str, str], None]
"""``progress(stage, file, message)``: called as each stage starts and as each file finishes it."""


class SessionProvider:
    """Builds the SparkSession on first use, so a batch that needs no Spark never starts a JVM."""

    def __init__(self, config: PipelineConfig, session: SparkSession | None = None) -> None:
        self._config = config
        self._session = session

    def get(self, input_bytes: int = 0) -> SparkSession:
        """The session, built for a first job that reads ``input_bytes`` (see :func:`retailctl.jobs.spark.session_conf`)."""
        if self._session is None:
            from retailctl.jobs.spark import build_session

            self._session = build_session(self._config.spark, input_bytes)
        return self._session


@dataclass(frozen=True)
class FileResult:
    """Where one file ended and what became of its rows."""

    file: str
    ingest_run_id: str
    outcome: str
    """archived | rejected | duplicate_content | already_handled"""
    stage: str
    location: str | None = None
    reason_code: str | None = None
    message: str | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    partitions: tuple[str, ...] = ()
    duplicate_of: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.outcome == "rejected"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PipelineResult:
    """Every file's outcome and the gold compaction summary (None when gold had nothing to do)."""

    files: tuple[FileResult, ...]
    gold: dict[str, Any] | None = None
    gold_error: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.gold_error or any(f.failed for f in self.files) else 0

    @property
    def rows_valid(self) -> int:
        return sum(f.rows_valid for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def rejects_by_rule(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.files:
            for rule, count in result.rejects_by_rule.items():
                totals[rule] = totals.get(rule, 0) + count
        return dict(sorted(totals.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "rejects_by_rule": self.rejects_by_rule(),
            "gold": self.gold,
            "gold_error": self.gold_error,
            "exit_code": self.exit_code,
        }


def run_pipeline(
    store: ObjectStore,
    config: PipelineConfig,
    names: Sequence[str],
    *,
    sessions: SessionProvider,
    force: bool = False,
    progress: Progress | None = None,
) -> PipelineResult:
    """Validate ``raw/<name>`` for each name, run silver on the accepted ones together, then gold once.

    On the aws backend the files are only reported as waiting in raw/: the deployed Lambda validates
    each one and starts the silver Glue job, so running the stages here as well would race with it.
    """
    if config.backend == "aws":
        return PipelineResult(tuple(_uploaded(store, name) for name in names))
    report = progress or _quiet
    validations = []
    for name in names:
        outcome = validate_key(store, layout.raw_key(name), config)
        report("validate", name, outcome.outcome)
        validations.append(outcome)
    accepted = [v.file for v in validations if v.accepted]
    results = _run_silver(store, config, sessions, accepted, force, report) if accepted else {}
    files = tuple(results.get(v.file) or _from_validation(v) for v in validations)
    if not any(f.outcome == "archived" for f in files):
        return PipelineResult(files)
    report("gold", "", "compacting the partitions that changed")
    from retailctl.notify import LocalNotifier

    try:
        summary = run_gold_compaction(sessions.get(), store, config, notifier=LocalNotifier(store))
    except JobFailed as exc:
        report("gold", "", f"failed: {exc}")
        return PipelineResult(files, getattr(exc, "summary", None), str(exc))
    gold = summary.to_dict()
    report("gold", "", describe_changes(gold))
    return PipelineResult(files, gold)


@dataclass(frozen=True)
class ScreenedSilver:
    """A silver run behind the content ledger: the files set aside as duplicates, and the batch run."""

    duplicates: tuple[ledger.Screened, ...]
    batch: SilverBatchResult | None

    def to_dict(self) -> dict[str, Any]:
        """The batch result (``files`` empty when there was none), plus ``duplicates``."""
        batch = self.batch.to_dict() if self.batch else {"files": []}
        return {**batch, "duplicates": [asdict(item) for item in self.duplicates]}


def run_silver_once_per_content(
    session: Callable[[int], SparkSession],
    store: ObjectStore,
    config: PipelineConfig,
    names: Sequence[str] | None = None,
    *,
    force: bool = False,
) -> ScreenedSilver:
    """The silver job over validated/ (or ``names``), each distinct content processed once.

    Files whose bytes were ingested before are set aside (see :mod:`retailctl.ledger`); the claims of
    files that did not end archived are released so that a replay processes them. ``session`` is
    called (with the bytes left to process) only when some file is left to process.
    """
    from retailctl.jobs.silver_runner import run_silver

    if names is None:
        names = [layout.name_in(layout.VALIDATED, info.key) for info in store.list(layout.VALIDATED)]
    screened = ledger.screen_waiting(store, names, force=force)
    duplicates = tuple(item for item in screened if item.is_duplicate)
    fresh = [name for name in names if name not in {item.file for item in duplicates}]
    waiting = sum(store.head(layout.validated_key(name)).size for name in fresh)
    batch = run_silver(session(waiting), store, config, fresh) if fresh else None
    archived = [item.file for item in batch.files if item.outcome == "archived"] if batch else []
    ledger.release_unarchived(store, screened, archived)
    return ScreenedSilver(duplicates, batch)


def _run_silver(
    store: ObjectStore,
    config: PipelineConfig,
    sessions: SessionProvider,
    names: list[str],
    force: bool,
    report: Progress,
) -> dict[str, FileResult]:
    report("silver", "", f"{len(names)} file(s)")
    screened = run_silver_once_per_content(sessions.get, store, config, names, force=force)
    results = {item.file: _duplicate(item) for item in screened.duplicates}
    for item in screened.batch.files if screened.batch else ():
        reason = item.reason
        results[item.file] = FileResult(
            file=item.file,
            ingest_run_id=item.ingest_run_id,
            outcome=item.outcome,
            stage="silver",
            location=item.archive_key or (layout.system_reject_key(item.file) if item.outcome == "rejected" else None),
            reason_code=reason.reason_code if reason else None,
            message=reason.message if reason else None,
            rows_read=item.rows_read,
            rows_valid=item.rows_valid,
            rows_rejected=item.rows_rejected,
            rejects_by_rule=dict(item.rejects_by_rule),
            partitions=tuple(item.partitions),
        )
    for name, result in results.items():
        report("silver", name, result.outcome)
    return results


def _uploaded(store: ObjectStore, name: str) -> FileResult:
    return FileResult(
        file=name,
        ingest_run_id="",
        outcome="uploaded",
        stage="raw",
        location=store.uri(layout.raw_key(name)),
        message="in raw/; the deployed Lambda validates it and starts the silver job (see `retailctl status --backend aws`)",
    )


def _duplicate(item: ledger.Screened) -> FileResult:
    return FileResult(
        file=item.file,
        ingest_run_id=item.ingest_run_id,
        outcome="duplicate_content",
        stage="ledger",
        location=item.archive_key,
        reason_code="duplicate_content",
        message=f"the same bytes were ingested before as {item.duplicate_of.file if item.duplicate_of else '?'}",
        duplicate_of=item.duplicate_of.to_dict() if item.duplicate_of else None,
    )


def _from_validation(outcome: ValidationOutcome) -> FileResult:
    return FileResult(
        file=outcome.file,
        ingest_run_id=outcome.ingest_run_id,
        outcome=outcome.outcome,
        stage="validation",
        location=outcome.destination_key,
        reason_code=outcome.reason_code,
        message=outcome.message,
    )


def _quiet(stage: str, file: str, message: str) -> None:
    """The progress callback that reports nothing."""
