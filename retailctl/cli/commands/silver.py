"""`retailctl run-silver`."""

from __future__ import annotations

from typing import Annotated

import typer

from retailctl import layout
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.errors import FileRejected
from retailctl.jobs.silver_runner import SilverBatchResult, SilverFileResult


def register(app: typer.Typer) -> None:
    app.command("run-silver")(run_silver_command)


def run_silver_command(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Files waiting in validated/ (default: all of them).", show_default=False)] = None,
) -> None:
    """Run the silver job over validated/: row validation into processed/ and row rejects."""
    from retailctl.jobs.silver_runner import check_waiting, run_silver
    from retailctl.jobs.spark import build_session

    state = app_state(ctx)
    names = [name[len(layout.VALIDATED):] if name.startswith(layout.VALIDATED) else name for name in names or []]
    check_waiting(state.store, names)
    result = run_silver(build_session(state.config.spark), state.store, state.config, names or None)
    render_batch(result, as_json=state.json)
    if result.rejected:
        raise typer.Exit(FileRejected.exit_code)


def render_batch(result: SilverBatchResult, *, as_json: bool) -> None:
    """One JSON document, or a table of per-file outcomes."""
    if as_json:
        emit_json(result.to_dict())
        return
    if not result.files:
        console.print(f"Nothing is waiting in {layout.VALIDATED}.")
        return
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
