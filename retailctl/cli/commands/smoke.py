"""`retailctl smoke`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retailctl.cli.progress import pipeline_progress
from retailctl.cli.render import console, emit_json
from retailctl.cli.state import app_state
from retailctl.errors import InvariantBroken
from retailctl.smoke import Check, run_smoke


def register(app: typer.Typer) -> None:
    app.command("smoke")(smoke_command)


def smoke_command(
    ctx: typer.Context,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Run in this directory and keep it (default: a temporary one, removed after).")
    ] = None,
) -> None:
    """Run the whole pipeline on a known dataset in a fresh local lake and check every invariant (CI runs it)."""
    state = app_state(ctx)

    def show(check: Check) -> None:
        if not state.json:
            mark = "[green]PASS[/]" if check.ok else "[bold red]FAIL[/]"
            console.print(f"{mark} {check.name}: {check.detail}")

    with pipeline_progress(state.verbose > 0) as progress:
        result = run_smoke(state.config, workdir=workdir, progress=progress, on_check=show)
    if state.json:
        emit_json(result.to_dict())
    else:
        failed = sum(not check.ok for check in result.checks)
        console.print(f"smoke: {len(result.checks) - failed} of {len(result.checks)} checks passed")
    if not result.ok:
        raise typer.Exit(InvariantBroken.exit_code)
