"""`retailctl ingest`."""

from __future__ import annotations

from typing import Annotated

import typer

from retailctl.cli.commands.validate import render_outcomes
from retailctl.cli.state import app_state
from retailctl.ingest import ingest_files


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Local files, directories (recursively) or quoted glob patterns.", show_default=False)],
) -> None:
    """Ingest local files: copy them into raw/, validate them, and report where each one went."""
    state = app_state(ctx)
    report = ingest_files(state.store, state.config, paths)
    render_outcomes(report.files, as_json=state.json, empty_message="No files to ingest.")
