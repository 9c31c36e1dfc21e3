"""`retailctl run-gold-compaction`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("run-gold-compaction")(run_gold_compaction_command)


def run_gold_compaction_command() -> None:
    """Compact processed/ into gold/fact_sales: deduplicated, incremental, audited."""
    raise NotBuiltYet("run-gold-compaction")
