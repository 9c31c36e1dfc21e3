"""The analyst CSV of row rejects: formula-injection escaping and the exact reader.

A spreadsheet runs a cell that starts with ``= + - @``, TAB or CR as a formula (OWASP "CSV injection").
Such a cell is written with a single quote in front. A cell that already starts with a single quote
gets one too, so :func:`unescape_cell` (drop one leading quote) gives back every value exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
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


def quoted_cell(value: object) -> str:
    """A value's cell in the analyst CSV: its text (None: empty), escaped if a spreadsheet would run it, in
    quotes, its quotes doubled (as ``csv.writer`` writes with ``QUOTE_ALL``)."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if text.startswith(ESCAPED_PREFIXES):
        text = ESCAPE + text
    return '"' + text.replace('"', '""') + '"'


def unescape_cell(cell: str) -> str:
    """The original value of a cell written by :func:`quoted_cell`, as the csv reader gives it."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def read_rejects_csv(data: bytes | str) -> list[dict[str, str]]:
    """Rows of an analyst CSV (header first) with every cell unescaped to its exact original value."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    return [{key: unescape_cell(value or "") for key, value in row.items() if key is not None} for row in reader]


def csv_line(values: Iterable[object]) -> str:
    """One line of the analyst CSV: the values' cells (:func:`quoted_cell`)."""
    return ",".join(map(quoted_cell, values)) + "\n"


CSV_HEADER = csv_line(REJECT_CSV_COLUMNS)

RejectCsvRow = Callable[[int, str | None, str | None, str], None]
"""Writes a reject of one run: its ``line_number``, ``raw_row``, ``transaction_id`` and ``reject_reason``."""


def rejects_csv_writer(handle: TextIO, source_file: str, ingest_run_id: str, rejected_at: str) -> RejectCsvRow:
    """Write the header of one run's analyst CSV to ``handle``; returns the function that writes one of its rejects.

    The cells every reject of the run shares (``source_file``, ``ingest_run_id``, ``rejected_at``) are quoted once.
    """
    handle.write(CSV_HEADER)
    first = quoted_cell(source_file) + ","
    last = f",{quoted_cell(ingest_run_id)},{quoted_cell(rejected_at)}\n"

    def write_row(line_number: int, raw_row: str | None, transaction_id: str | None, reject_reason: str) -> None:
        handle.write(f"{first}{quoted_cell(line_number)},{quoted_cell(raw_row)},{quoted_cell(transaction_id)},"
                     f"{quoted_cell(reject_reason)}{last}")

    return write_row


def write_rejects_csv(rows: list[dict[str, str]]) -> bytes:
    """An analyst CSV of ``rows`` (the same format the silver job writes)."""
    lines = (csv_line(row.get(column) for column in REJECT_CSV_COLUMNS) for row in rows)
    return (CSV_HEADER + "".join(lines)).encode("utf-8")
