"""`retailctl replay-rejects` (also spelled `retailctl replay`)."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("replay-rejects")(replay_command)
    app.command("replay", help="Same as replay-rejects.")(replay_command)


def replay_command() -> None:
    """Replay rejects: rejected/system files back through the pipeline, or a run's row rejects."""
    raise NotBuiltYet("replay-rejects")
