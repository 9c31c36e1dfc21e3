"""The sales generator writes what its stats say: every row checked by an independent stdlib reading."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from retailctl.datagen import INVALID_KINDS, SALES_COLUMNS, write_sales_csv

ALLOWED_CURRENCIES = {"USD", "EUR", "GBP", "CAD"}
ALLOWED_PAYMENTS = {"card", "cash", "voucher", "mobile"}


def _row_is_valid(row: dict[str, str]) -> bool:
    if any(not row[name] for name in SALES_COLUMNS if name != "customer_id"):
        return False
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", row["transaction_id"]):
        return False
    if not re.fullmatch(r"\d+", row["quantity"]) or int(row["quantity"]) <= 0:
        return False
    try:
        price = Decimal(row["unit_price"])
        datetime.fromisoformat(row["sold_at"])
    except (InvalidOperation, ValueError):
        return False
    if price < 0 or -price.as_tuple().exponent > 2:  # type: ignore[operator]
        return False
    return row["currency"] in ALLOWED_CURRENCIES and row["payment_method"].lower() in ALLOWED_PAYMENTS


def _read(path: Path, delimiter: str) -> tuple[int, int, set[str]]:
    valid = invalid = 0
    keys: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader)
        for fields in reader:
            row = dict(zip(header, fields, strict=False))
            if len(fields) == len(header) and _row_is_valid(row):
                valid += 1
                keys.add(row["transaction_id"])
            else:
                invalid += 1
    return valid, invalid, keys


@pytest.mark.parametrize(
    ("delimiter", "quote_all", "columns"),
    [(",", False, SALES_COLUMNS), (";", True, tuple(reversed(SALES_COLUMNS))), ("\t", False, SALES_COLUMNS)],
)
def test_counts_match_an_independent_reading(tmp_path: Path, delimiter: str, quote_all: bool, columns: tuple[str, ...]) -> None:
    path = tmp_path / "odd name, 1.csv"
    stats = write_sales_csv(path, 20_000, seed=7, delimiter=delimiter, quote_all=quote_all, columns=columns, bom=quote_all)
    valid, invalid, keys = _read(path, delimiter)
    assert (valid, invalid, len(keys)) == (stats.valid_rows, stats.invalid_rows, stats.expected_distinct_keys)
    assert set(stats.invalid_by_kind) == set(INVALID_KINDS)
    assert 0.01 < stats.invalid_rows / stats.rows < 0.03 and 0.02 < stats.duplicate_rows / stats.rows < 0.04
    assert stats.bytes_written == path.stat().st_size


def test_same_arguments_write_the_same_bytes(tmp_path: Path) -> None:
    first = write_sales_csv(tmp_path / "a.csv", 3000, seed=3)
    second = write_sales_csv(tmp_path / "b.csv", 3000, seed=3)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert write_sales_csv(tmp_path / "c.csv", 3000, seed=4).path.read_bytes() != first.path.read_bytes()


def test_rejects_a_column_list_that_is_not_the_dataset(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ordering"):
        write_sales_csv(tmp_path / "x.csv", 10, columns=SALES_COLUMNS[:-1])
