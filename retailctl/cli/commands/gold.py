"""`retailctl run-gold-compaction`."""

from __future__ import annotations

from typing import Annotated

import typer

from retailctl.cli.glue_run import run_on_glue
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.errors import CompactionFailed
from retailctl.jobs.gold_runner import (
    describe_changes,
    parse_date_range,
    run_gold_compaction,
    silver_bytes_to_read,
)


def register(app: typer.Typer) -> None:
    app.command("run-gold-compaction")(run_gold_compaction_command)


def run_gold_compaction_command(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Rebuild every chosen partition from silver, not only what changed.")] = False,
    dates: Annotated[str | None, typer.Option("--dates", help="Only these partition dates: FROM[:TO], as YYYY-MM-DD.", metavar="FROM[:TO]")] = None,
) -> None:
    """Compact processed/ into gold/fact_sales: deduplicated, incremental, audited."""
    from retailctl.jobs.spark import build_session

    state = app_state(ctx)
    window = parse_date_range(dates) if dates else None
    if state.config.backend == "aws":
        run_on_glue(state, "gold", {"full": str(full).lower(), **({"dates": str(window)} if window else {})})
        return
    try:
        reads = silver_bytes_to_read(state.store, state.config, full=full, dates=window)
        summary = run_gold_compaction(build_session(state.config.spark, reads), state.store, state.config, full=full, dates=window)
    except CompactionFailed as failure:
        if state.json:
            emit_json(failure.summary)
            raise typer.Exit(failure.exit_code) from None
        raise
    if state.json:
        emit_json(summary.to_dict())
        return
    totals = summary.totals
    console.print(
        f"gold compaction {summary.run_id} ({summary.mode}) [green]ok[/] in {summary.duration_seconds:.1f} s: "
        f"{describe_changes(summary.to_dict())}, {len(summary.partitions_skipped)} untouched, "
        f"{summary.new_silver_files} new silver file(s)"
    )
    if summary.partitions_rewritten or summary.partitions_appended:
        console.print(
            table(
                None,
                ("rows in", "rows out", "duplicates removed", "moved out", "files out", "bytes out", "gold rows = silver keys"),
                [(totals.get("rows_in"), totals.get("rows_out"), totals.get("duplicates_removed"), totals.get("rows_moved_out"),
                  totals.get("files_out"), totals.get("bytes_out"), summary.check.get("ok"))],
            )
        )
