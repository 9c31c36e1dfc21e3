"""`retailctl status`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command() -> None:
    """What waits in each layer of the lake, and anything stuck in raw/ or validated/."""
    raise NotBuiltYet("status")
