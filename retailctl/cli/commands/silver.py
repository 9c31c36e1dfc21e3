"""`retailctl run-silver`."""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated

import typer

from retailctl import layout
from retailctl.cli.glue_run import run_on_glue
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.errors import FileRejected
from retailctl.jobs.silver_runner import SilverBatchResult, SilverFileResult


def register(app: typer.Typer) -> None:
    app.command("run-silver")(run_silver_command)


def run_silver_command(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Files waiting in validated/ (default: all of them).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Process files even when the same bytes were ingested before.")] = False,
) -> None:
    """Run the silver job over validated/: row validation into processed/ and row rejects."""
    from retailctl.jobs.silver_runner import check_waiting
    from retailctl.jobs.spark import build_session
    from retailctl.pipeline import run_silver_once_per_content

    state = app_state(ctx)
    names = [name[len(layout.VALIDATED):] if name.startswith(layout.VALIDATED) else name for name in names or []]
    if state.config.backend == "aws":
        run_on_glue(state, "silver", {"force": str(force).lower(), **({"files": json.dumps(names)} if names else {})})
        return
    check_waiting(state.store, names)
    result = run_silver_once_per_content(partial(build_session, state.config.spark), state.store, state.config, names or None, force=force)
    if state.json:
        emit_json(result.to_dict())
    else:
        for item in result.duplicates:
            first = item.duplicate_of
            console.print(
                f"[yellow]duplicate_content[/] {item.file}: the same bytes were ingested as {first.file if first else '?'} "
                f"(run {first.ingest_run_id if first else '?'}); set aside at {item.archive_key}"
            )
        if result.batch is not None:
            render_batch(result.batch)
        elif not result.duplicates:
            console.print(f"Nothing is waiting in {layout.VALIDATED}.")
    if result.batch is not None and result.batch.rejected:
        raise typer.Exit(FileRejected.exit_code)


def render_batch(result: SilverBatchResult) -> None:
    """A table of per-file outcomes."""
    rows = [
        (f.file, _outcome(f), f.rows_read, f.rows_valid, f.rows_rejected, _rules(f), _partitions(f))
        for f in result.files
    ]
    console.print(table(f"silver run {result.batch_run_id} ({result.seconds:.1f} s)",
                        ("file", "outcome", "read", "valid", "rejected", "rejects by rule", "partitions"), rows))


def _outcome(result: SilverFileResult) -> str:
    if result.reason:
        return f"[bold red]rejected[/]: {result.reason.reason_code}: {result.reason.message}"
    return "[green]archived[/]"


def _rules(result: SilverFileResult) -> str:
    return ", ".join(f"{rule} {count}" for rule, count in result.rejects_by_rule.items()) or "-"


def _partitions(result: SilverFileResult) -> str:
    days = result.partitions
    if len(days) > 3:
        return f"{days[0]} .. {days[-1]} ({len(days)} days)"
    return ", ".join(days) or "-"
