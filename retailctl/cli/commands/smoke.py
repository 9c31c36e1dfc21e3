"""`retailctl smoke`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("smoke")(smoke_command)


def smoke_command() -> None:
    """Run the whole pipeline on generated data in a temporary lake and check every invariant."""
    raise NotBuiltYet("smoke")
