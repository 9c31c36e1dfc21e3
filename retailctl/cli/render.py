"""Output for people (rich) and for machines (--json), and the error line."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from retailctl.storage import json_bytes

_WIDTH_OFF_TERMINAL = 120
"""Rich assumes 80 columns when output is not a terminal (CI logs, pipes); tables read better wider."""


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _WIDTH_OFF_TERMINAL
    return console


console = _console()
err_console = _console(stderr=True)


def emit_json(payload: Any) -> None:
    """One JSON document on stdout, nothing else."""
    sys.stdout.write(json_bytes(payload).decode())
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table with the given header and rows (values rendered with str, None as '')."""
    result = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if value is None else str(value) for value in row))
    return result


def error(message: str, *, as_json: bool, exit_code: int) -> None:
    """Report a failure: a red line on stderr, or a JSON error document on stdout."""
    if as_json:
        emit_json({"error": message, "exit_code": exit_code})
    else:
        err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
