"""The analyst CSV of row rejects: formula-injection escaping and the exact reader.

A spreadsheet runs a cell that starts with ``= + - @``, TAB or CR as a formula (OWASP "CSV injection").
Such a cell is written with a single quote in front. A cell that already starts with a single quote
gets one too, so :func:`unescape_cell` (drop one leading quote) gives back every value exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
ESCAPED_PREFIXES = (*FORMULA_PREFIXES, ESCAPE)

REJECT_CSV_COLUMNS = (
    "source_file",
    "line_number",
    "raw_row",
    "transaction_id",
    "reject_reason",
    "ingest_run_id",
    "rejected_at",
)
"""The columns of ``rejected/data_quality/csv/ingest_run_id=<id>/part-0000.csv``, in order."""


def escape_cell(value: object) -> str:
    """The cell written to the analyst CSV for a value: its text, quoted if a spreadsheet would run it (None: empty)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return ESCAPE + text if text.startswith(ESCAPED_PREFIXES) else text


def unescape_cell(cell: str) -> str:
    """The original value of a cell written by :func:`escape_cell`."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def read_rejects_csv(data: bytes | str) -> list[dict[str, str]]:
    """Rows of an analyst CSV (header first) with every cell unescaped to its exact original value."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    return [{key: unescape_cell(value or "") for key, value in row.items() if key is not None} for row in reader]


def rejects_csv_writer(handle: TextIO) -> Callable[[Mapping[str, object]], None]:
    """Write the analyst CSV's header to ``handle``; returns the function that writes one reject row.

    Every cell is quoted and escaped; a missing value (None) is an empty cell.
    """
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(REJECT_CSV_COLUMNS)

    def write_row(row: Mapping[str, object]) -> None:
        writer.writerow([escape_cell(row.get(column)) for column in REJECT_CSV_COLUMNS])

    return write_row


def write_rejects_csv(rows: list[dict[str, str]]) -> bytes:
    """An analyst CSV of ``rows`` (the same format the silver job writes)."""
    buffer = io.StringIO(newline="")
    write_row = rejects_csv_writer(buffer)
    for row in rows:
        write_row(row)
    return buffer.getvalue().encode("utf-8")
