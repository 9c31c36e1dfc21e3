"""Inline sales rows for the silver tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

HEADER = (
    "transaction_id", "store_id", "product_id", "quantity", "unit_price",
    "currency", "sold_at", "customer_id", "payment_method",
)
VALID = {
    "transaction_id": "T1", "store_id": "S1", "product_id": "P1", "quantity": "2", "unit_price": "3.50",
    "currency": "USD", "sold_at": "2024-03-01T10:00:00Z", "customer_id": "C1", "payment_method": "card",
}

PutValidated = Callable[..., str]


def csv_line(values: Sequence[str], delimiter: str = ",") -> str:
    """One CSV record (RFC 4180 quoting where needed), without its line terminator."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(values)
    return buffer.getvalue()[:-1]


def row(header: Sequence[str] = HEADER, delimiter: str = ",", **values: str) -> str:
    """A valid sales row in ``header`` order, with ``values`` overriding columns."""
    merged = {**VALID, **values}
    return csv_line([merged.get(column, "") for column in header], delimiter)
