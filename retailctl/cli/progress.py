"""Progress while the pipeline works: a rich spinner per stage on a terminal, plain lines otherwise.

Everything goes to stderr, so ``--json`` output on stdout stays one clean document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.status import Status

from retailctl.cli.render import err_console
from retailctl.pipeline import Progress

_STAGE_NAMES = {"validate": "Validating", "silver": "Silver job", "gold": "Gold compaction"}
OUTCOME_STYLES = {
    "validated": "green",
    "archived": "green",
    "rejected": "bold red",
    "duplicate_content": "yellow",
    "already_handled": "yellow",
}


@contextmanager
def pipeline_progress(enabled: bool = True) -> Iterator[Progress]:
    """A progress callback for :func:`retailctl.pipeline.run_pipeline`, and its display."""
    if not enabled:
        yield lambda stage, file, message: None
        return
    status: Status | None = err_console.status("Starting") if err_console.is_terminal else None

    def report(stage: str, file: str, message: str) -> None:
        stage_name = _STAGE_NAMES.get(stage, stage)
        if not file:
            if status is not None:
                status.update(f"{stage_name}: {message}")
            err_console.print(f"[bold]{stage_name}[/] {message}")
            return
        style = OUTCOME_STYLES.get(message, "")
        err_console.print(f"  {stage_name.lower()}: {file} -> [{style}]{message}[/]" if style else f"  {stage_name.lower()}: {file} -> {message}")

    if status is None:
        yield report
        return
    with status:
        yield report
