"""`retailctl ingest`."""

from __future__ import annotations

from typing import Annotated

import typer

from retailctl.cli.progress import pipeline_progress
from retailctl.cli.state import app_state
from retailctl.cli.summary import render_pipeline
from retailctl.ingest import ingest_files
from retailctl.pipeline import SessionProvider


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Local files, directories (recursively) or quoted glob patterns.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Process files even when the same bytes were ingested before.")] = False,
) -> None:
    """Ingest local files: copy into raw/, validate, run silver and gold, and summarise where everything went."""
    state = app_state(ctx)
    with pipeline_progress() as progress:
        result = ingest_files(
            state.store, state.config, paths, sessions=SessionProvider(state.config), force=force, progress=progress
        )
    render_pipeline(result, as_json=state.json)
