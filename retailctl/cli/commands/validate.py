"""`retailctl validate`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from retailctl import layout
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.errors import FileRejected, UsageError
from retailctl.validation import ValidationOutcome, validate_pending
from retailctl.validation.detect import DELIMITER_NAMES

_STYLES = {"validated": "green", "rejected": "bold red", "already_handled": "yellow"}


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)


def validate_command(
    ctx: typer.Context,
    keys: Annotated[list[str] | None, typer.Argument(help="Files waiting in raw/, as raw/x.csv or x.csv.", show_default=False)] = None,
    all_files: Annotated[bool, typer.Option("--all", help="Validate every file waiting in raw/ (the default with no KEY).")] = False,
) -> None:
    """Validate files waiting in raw/ and route them to validated/ or rejected/system/."""
    state = app_state(ctx)
    if keys and all_files:
        raise UsageError("give file keys or --all, not both")
    names = [_raw_name(key) for key in keys] if keys else None
    if names:
        missing = [layout.raw_key(name) for name in names if not state.store.exists(layout.raw_key(name))]
        if missing:
            raise UsageError(f"nothing waiting at {', '.join(missing)}")
    outcomes = validate_pending(state.store, state.config, names)
    render_outcomes(outcomes, as_json=state.json, empty_message="Nothing is waiting in raw/.")


def render_outcomes(outcomes: Sequence[ValidationOutcome], *, as_json: bool, empty_message: str) -> None:
    """Print where each file went (a table, or one JSON document) and exit 1 when any was rejected."""
    rejected = sum(1 for outcome in outcomes if outcome.rejected)
    if as_json:
        emit_json({
            "files": [outcome.to_dict() for outcome in outcomes],
            "validated": sum(1 for outcome in outcomes if outcome.accepted),
            "rejected": rejected,
        })
    elif not outcomes:
        console.print(empty_message)
    else:
        rows = [
            (outcome.file, f"[{_STYLES[outcome.outcome]}]{outcome.outcome}[/]", outcome.destination_key or "", _detail(outcome))
            for outcome in outcomes
        ]
        console.print(table(None, ("file", "outcome", "now at", "detail"), rows))
        accepted = len(outcomes) - rejected
        console.print(f"{accepted} accepted, {rejected} rejected (reasons in {layout.REJECTED_SYSTEM}<file>{layout.REASON_SUFFIX}).")
    if rejected:
        raise typer.Exit(FileRejected.exit_code)


def _detail(outcome: ValidationOutcome) -> str:
    if outcome.rejected:
        return f"{outcome.reason_code}: {outcome.message}"
    if outcome.detected:
        detected = outcome.detected
        return f"{DELIMITER_NAMES[detected['delimiter']]}-separated, {detected['encoding']}, {len(detected['header'])} columns"
    return "already moved on by another run"


def _raw_name(key: str) -> str:
    name = key[len(layout.RAW):] if key.startswith(layout.RAW) else key
    if not name or name.endswith("/"):
        raise UsageError(f"{key!r} is not a file in raw/")
    return name
