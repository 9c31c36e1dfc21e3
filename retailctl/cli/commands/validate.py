"""`retailctl validate`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)


def validate_command() -> None:
    """Validate files waiting in raw/ and route them to validated/ or rejected/system/."""
    raise NotBuiltYet("validate")
