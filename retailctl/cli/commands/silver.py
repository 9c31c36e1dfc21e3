"""`retailctl run-silver`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("run-silver")(run_silver_command)


def run_silver_command() -> None:
    """Run the silver job over validated/: row validation into processed/ and row rejects."""
    raise NotBuiltYet("run-silver")
