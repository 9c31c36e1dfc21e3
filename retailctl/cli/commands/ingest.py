"""`retailctl ingest`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command() -> None:
    """Ingest local files: copy into raw/, validate, run silver and gold, and summarise."""
    raise NotBuiltYet("ingest")
