"""The end-of-run summary of a pipeline run, shared by ingest, replay and smoke."""

from __future__ import annotations

from typing import Any

import typer

from retailctl import layout
from retailctl.cli.progress import OUTCOME_STYLES
from retailctl.cli.render import console, emit_json, table
from retailctl.jobs.gold_runner import describe_changes
from retailctl.pipeline import FileResult, PipelineResult


def render_pipeline(result: PipelineResult, *, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Print the summary (tables, or one JSON document) and exit with the result's exit code."""
    if as_json:
        emit_json({**(extra or {}), **result.to_dict()})
    else:
        print_pipeline(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def print_pipeline(result: PipelineResult) -> None:
    """The human summary: each file's outcome, rows, rejects by rule, gold, and where to look next."""
    if not result.files:
        console.print("No files to process.")
        return
    rows = [
        (
            f.file,
            f"[{OUTCOME_STYLES.get(f.outcome, '')}]{f.outcome}[/]",
            f.rows_valid if f.stage == "silver" else "",
            f.rows_rejected if f.stage == "silver" else "",
            f.reason_code or "",
        )
        for f in result.files
    ]
    console.print(table("Files", ("file", "outcome", "rows valid", "rows rejected", "reason"), rows))
    for f in result.files:
        if f.outcome != "archived" and (f.message or f.duplicate_of):
            console.print(f"  [bold]{f.file}[/]: {_detail(f)}" + (f" (now at {f.location})" if f.location else ""))
    by_rule = result.rejects_by_rule()
    if by_rule:
        console.print(table("Row rejects by rule", ("rule", "rows"), sorted(by_rule.items(), key=lambda item: -item[1])))
    if result.gold_error:
        console.print(f"[bold red]Gold compaction failed:[/] {result.gold_error}")
    elif result.gold:
        changed = sorted([*(result.gold.get("partitions_rewritten") or []), *(result.gold.get("partitions_appended") or [])])
        shown = ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
        console.print(f"Gold: {describe_changes(result.gold)}{': ' + shown if changed else ''} (run {result.gold.get('run_id')}).")
    for hint in _next_steps(result):
        console.print(f"  → {hint}")


def _detail(result: FileResult) -> str:
    if result.duplicate_of:
        first = result.duplicate_of
        return f"same bytes as {first.get('file')} (run {first.get('ingest_run_id')}); not processed again"
    return result.message or ""


def _next_steps(result: PipelineResult) -> list[str]:
    hints = []
    for f in result.files:
        if f.rows_rejected:
            hints.append(f"row rejects of {f.file}: {layout.dq_csv_key(f.ingest_run_id)}")
    if any(f.outcome == "rejected" for f in result.files):
        hints.append(f"whole-file rejects: {layout.REJECTED_SYSTEM}<file>{layout.REASON_SUFFIX}; fix, then `retailctl replay rejected/system`")
    if result.gold or result.gold_error:
        hints.append("the audit: `retailctl audit show`")
    return hints
