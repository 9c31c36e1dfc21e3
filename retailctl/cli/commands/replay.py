"""`retailctl replay-rejects` (also spelled `retailctl replay`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retailctl.cli.progress import pipeline_progress
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.cli.summary import print_pipeline
from retailctl.errors import UsageError
from retailctl.pipeline import SessionProvider
from retailctl.replay import (
    DATA_QUALITY,
    SYSTEM,
    ReplayResult,
    normalise_source,
    replay_row_rejects,
    replay_system,
)


def register(app: typer.Typer) -> None:
    app.command("replay-rejects")(replay_command)
    app.command("replay", help="Same as replay-rejects: retailctl replay rejected/system | rejected/data_quality --run-id ID.")(
        replay_command
    )


def replay_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="rejected/system (whole files) or rejected/data_quality (a run's row rejects).")],
    file: Annotated[str | None, typer.Option("--file", help="rejected/system: replay only this file.")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="rejected/data_quality: the ingest run whose row rejects to replay.")] = None,
    from_csv: Annotated[
        Path | None, typer.Option("--from-csv", help="rejected/data_quality: an analyst's corrected copy of the run's rejects CSV.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be replayed; change nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replay even what was replayed, or ingested, before.")] = False,
) -> None:
    """Replay rejects: rejected/system files back through the pipeline, or a run's row rejects as a new file."""
    state = app_state(ctx)
    which = normalise_source(source)
    sessions = SessionProvider(state.config)
    with pipeline_progress(not dry_run) as progress:
        if which == SYSTEM:
            if run_id or from_csv:
                raise UsageError("--run-id and --from-csv go with rejected/data_quality")
            result = replay_system(state.store, state.config, sessions, file=file, dry_run=dry_run, force=force, progress=progress)
        else:
            if not run_id:
                raise UsageError("rejected/data_quality needs --run-id ID (see `retailctl audit show` for run ids)")
            if file:
                raise UsageError("--file goes with rejected/system")
            result = replay_row_rejects(
                state.store, state.config, sessions, run_id=run_id, from_csv=from_csv, dry_run=dry_run, force=force, progress=progress
            )
    if state.json:
        emit_json(result.to_dict())
    else:
        _print(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _print(result: ReplayResult) -> None:
    if result.source == DATA_QUALITY:
        if result.already_replayed_by:
            console.print(f"Already replayed as {result.already_replayed_by}; nothing done (--force replays again).")
            return
        verb = "Would replay" if result.dry_run else "Replayed"
        console.print(f"{verb} {result.rows} rejected row(s) as raw/{result.replay_file}.")
    else:
        if not result.items:
            console.print("Nothing to replay in rejected/system/.")
            return
        rows = [(i.file, i.stage, i.reason_code, i.ingest_run_id, i.skipped or ("would replay" if result.dry_run else "replayed")) for i in result.items]
        console.print(table("Whole-file rejects", ("file", "rejected by", "reason", "run", "replay"), rows))
    if result.pipeline is not None:
        print_pipeline(result.pipeline)
