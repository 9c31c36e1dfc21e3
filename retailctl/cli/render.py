"""Output for people (rich) and for machines (--json), and the error line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

_WIDTH_OFF_TERMINAL = 120
"""Rich assumes 80 columns when output is not a terminal (CI logs, pipes); tables read better wider."""


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _WIDTH_OFF_TERMINAL
    return console


console = _console()
err_console = _console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def emit_json(payload: Any) -> None:
    """One JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(payload, indent=2, default=_default, ensure_ascii=False) + "\n")
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
