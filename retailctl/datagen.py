"""Deterministic, streaming generator of realistic fact_sales CSV files (standard library only).

Rows are assembled from pools of pre-formatted cells, so a million rows take a couple of seconds.
About ``invalid_rate`` of the rows break exactly one rule of the default fact_sales dataset (every kind
in :data:`INVALID_KINDS`), about ``duplicate_rate`` repeat an earlier transaction id of the same file
with new values (a later correction). The same arguments always write the same bytes.
"""

from __future__ import annotations

import operator
import random
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from pathlib import Path

SALES_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "store_id",
    "product_id",
    "quantity",
    "unit_price",
    "currency",
    "sold_at",
    "customer_id",
    "payment_method",
)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in SALES_COLUMNS if c != "customer_id")

INVALID_KINDS: tuple[str, ...] = (
    "missing_required",
    "bad_transaction_id_pattern",
    "transaction_id_too_long",
    "quantity_zero",
    "quantity_negative",
    "quantity_not_integer",
    "unit_price_negative",
    "unit_price_three_decimals",
    "unit_price_not_a_number",
    "currency_not_allowed",
    "sold_at_not_a_timestamp",
    "payment_method_not_allowed",
    "too_few_fields",
    "too_many_fields",
)
"""Every way a generated invalid row breaks the default dataset's rules (one per row)."""

CHUNK_ROWS = 65_536
POOL_SIZE = 65_536
ID_BASE = 10**10
"""Transaction ids are ``id_prefix`` + str(ID_BASE + row number): fixed width without formatting."""
DEFAULT_START = date(2024, 1, 1)

_CURRENCIES = ("USD",) * 6 + ("EUR",) * 2 + ("GBP", "CAD")
_PAYMENTS = ("card",) * 8 + ("cash",) * 4 + ("mobile",) * 3 + ("voucher", "Card", "CASH", "Mobile")
_OFFSETS = ("Z", "Z", "", "", "+00:00", "+01:00", "+02:00", "-05:00", "-08:00", "+05:30", "+09:00")
_ODD_STORES = ("Store 12, Downtown", 'Mall "West" #3', "Zürich-Hbf", "São Paulo; Centro", "Köln|Dom")
_ODD_PRODUCTS = ('SKU-88 "Deluxe", 12oz', "Café Crème 250g", "Bolt 3/8; zinc", "Tee|XL")
_BAD_IDS = ("t 123", "t#123", "t.123", "tx/9", "txn:77", "t€1")
_BAD_TIMESTAMPS = ("not-a-date", "2024-13-45T25:61:00", "31/01/2024 10:00", "yesterday", "2024-02-30T10:00:00Z")


@dataclass
class GeneratedStats:
    """What a generated file contains, for checking a pipeline's counts against."""

    path: Path
    rows: int = 0
    valid_rows: int = 0
    invalid_by_kind: Counter[str] = field(default_factory=Counter)
    duplicate_rows: int = 0
    bytes_written: int = 0

    @property
    def invalid_rows(self) -> int:
        return sum(self.invalid_by_kind.values())

    @property
    def expected_distinct_keys(self) -> int:
        """Distinct transaction ids among the valid rows: the gold rows this file alone yields."""
        return self.valid_rows - self.duplicate_rows

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "invalid_by_kind": dict(sorted(self.invalid_by_kind.items())),
            "duplicate_rows": self.duplicate_rows,
            "expected_distinct_keys": self.expected_distinct_keys,
            "bytes_written": self.bytes_written,
        }


def write_sales_csv(
    path: str | Path,
    rows: int,
    *,
    seed: int = 0,
    days: int = 90,
    start: date = DEFAULT_START,
    invalid_rate: float = 0.02,
    duplicate_rate: float = 0.03,
    delimiter: str = ",",
    quote_all: bool = False,
    id_prefix: str = "t",
    columns: Sequence[str] = SALES_COLUMNS,
    line_ending: str = "\n",
    bom: bool = False,
) -> GeneratedStats:
    """Write ``rows`` sales rows (plus a header in ``columns`` order) to ``path``, chunk by chunk."""
    if sorted(columns) != sorted(SALES_COLUMNS):
        raise ValueError(f"columns must be an ordering of {', '.join(SALES_COLUMNS)}")
    if not 0 <= invalid_rate + duplicate_rate <= 1:
        raise ValueError("invalid_rate + duplicate_rate must be between 0 and 1")
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    rng = random.Random(seed)
    cells = _Cells(delimiter, quote_all)
    pools = _build_pools(rng, cells, days, start)
    order = list(columns)
    stats = GeneratedStats(path=Path(path))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        header = ("\ufeff" if bom else "") + delimiter.join(cells(name) for name in order) + line_ending
        out.write(header)
        stats.bytes_written += len(header.encode())
        for first in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - first)
            lines = _chunk(rng, cells, pools, order, first, count, id_prefix, invalid_rate, duplicate_rate, stats)
            text = line_ending.join(lines) + line_ending
            out.write(text)
            stats.bytes_written += len(text.encode())
    stats.rows = rows
    return stats


class _Cells:
    """Formats one CSV cell for a delimiter: quoted when needed, or always."""

    def __init__(self, delimiter: str, quote_all: bool) -> None:
        self.delimiter = delimiter
        self.quote_all = quote_all

    def __call__(self, value: str) -> str:
        if self.quote_all or any(ch in value for ch in (self.delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value


def _build_pools(rng: random.Random, cells: _Cells, days: int, start: date) -> dict[str, list[str]]:
    """Pre-formatted cell values per column (except transaction_id), each pool of exactly POOL_SIZE."""
    stores = [f"S{n:03d}" for n in range(1, 201)] + list(_ODD_STORES)
    products = [f"P{rng.randrange(10**6):06d}" for _ in range(5000)] + list(_ODD_PRODUCTS)
    quantities = [str(q) for q in (1,) * 12 + (2,) * 6 + (3,) * 3 + tuple(range(4, 21))]
    prices = [_price(rng.choice((rng.randrange(50, 2000), rng.randrange(100, 50000)))) for _ in range(3000)]
    prices += ["5", "4.5", "0.00", "19.9", "1234.56"]
    customers = [f"C{rng.randrange(10**7):07d}" for _ in range(20000)] + [""] * 3000 + ["ACME, Inc."]
    sold_at = [_timestamp(rng, start + timedelta(days=rng.randrange(days))) for _ in range(min(POOL_SIZE, days * 128))]
    pools = {
        "store_id": stores,
        "product_id": products,
        "quantity": quantities,
        "unit_price": prices,
        "currency": list(_CURRENCIES),
        "sold_at": sold_at,
        "customer_id": customers,
        "payment_method": list(_PAYMENTS),
    }
    return {name: _resized(rng, [cells(v) for v in values]) for name, values in pools.items()}


def _resized(rng: random.Random, values: list[str]) -> list[str]:
    """``values`` (every one kept at least once) topped up with random repeats to exactly POOL_SIZE entries."""
    return values[:POOL_SIZE] + rng.choices(values, k=POOL_SIZE - min(len(values), POOL_SIZE))


def _sample(rng: random.Random, pool: list[str], count: int) -> tuple[str, ...]:
    """``count`` uniform picks from a POOL_SIZE pool, indexed by random 16-bit words (fast, C-level)."""
    indices = array("H", rng.getrandbits(16 * count).to_bytes(2 * count, "little"))
    picked: tuple[str, ...] = itemgetter(*indices)(pool) if count > 1 else (pool[indices[0]],)
    return picked


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _timestamp(rng: random.Random, day: date) -> str:
    """An ISO 8601 local time on ``day``, often near midnight, with or without an offset."""
    hour = rng.choice((0, 0, 23, 23, *range(24)))
    moment = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
    text = moment.isoformat()
    if rng.random() < 0.2:
        text += f".{rng.randrange(1000):03d}"
    return text + rng.choice(_OFFSETS)


def _chunk(
    rng: random.Random,
    cells: _Cells,
    pools: dict[str, list[str]],
    order: list[str],
    first: int,
    count: int,
    id_prefix: str,
    invalid_rate: float,
    duplicate_rate: float,
    stats: GeneratedStats,
) -> list[str]:
    ids = list(map(operator.add, repeat(id_prefix), map(str, range(ID_BASE + first, ID_BASE + first + count))))
    tid_position = order.index("transaction_id")
    tids = [cells(v) for v in ids] if cells.quote_all else ids.copy()
    columns: list[Sequence[str]] = [
        tids if name == "transaction_id" else _sample(rng, pools[name], count) for name in order
    ]
    join: Callable[[Sequence[str]], str] = cells.delimiter.join
    lines = list(map(join, zip(*columns, strict=True)))
    rolls = [rng.random() for _ in range(count)]
    special_rate = invalid_rate + duplicate_rate
    invalid: set[int] = set()
    for position in [p for p, roll in enumerate(rolls) if roll < special_rate]:
        fields = [column[position] for column in columns]
        if rolls[position] < invalid_rate:
            kind = INVALID_KINDS[rng.randrange(len(INVALID_KINDS))]
            stats.invalid_by_kind[kind] += 1
            invalid.add(position)
            lines[position] = _invalid_line(rng, cells, fields, order, kind, ids[position])
            continue
        original = rng.randrange(max(0, position - 5000), position) if position else position
        if original == position or original in invalid:
            continue
        tids[position] = fields[tid_position] = tids[original]
        lines[position] = join(fields)
        stats.duplicate_rows += 1
    stats.valid_rows += count - len(invalid)
    return lines


def _invalid_line(rng: random.Random, cells: _Cells, fields: list[str], order: list[str], kind: str, tid: str) -> str:
    """The row ``fields`` changed to break exactly the rule ``kind`` names."""
    join = cells.delimiter.join
    if kind == "too_few_fields":
        return join(fields[:-2])
    if kind == "too_many_fields":
        return join([*fields, cells("extra")])
    column, value = _broken_value(rng, kind, tid)
    fields[order.index(column)] = cells(value)
    return join(fields)


def _broken_value(rng: random.Random, kind: str, tid: str) -> tuple[str, str]:
    """The column and the value that break rule ``kind`` (every kind but the ragged ones)."""
    return {
        "missing_required": (rng.choice(REQUIRED_COLUMNS), ""),
        "bad_transaction_id_pattern": ("transaction_id", rng.choice(_BAD_IDS) + tid[-4:]),
        "transaction_id_too_long": ("transaction_id", tid + "x" * (65 - len(tid))),
        "quantity_zero": ("quantity", "0"),
        "quantity_negative": ("quantity", str(-rng.randrange(1, 5))),
        "quantity_not_integer": ("quantity", rng.choice(("2.5", "1.5", "ten"))),
        "unit_price_negative": ("unit_price", "-" + _price(rng.randrange(1, 5000))),
        "unit_price_three_decimals": ("unit_price", _price(rng.randrange(1, 5000)) + str(rng.randrange(1, 10))),
        "unit_price_not_a_number": ("unit_price", rng.choice(("abc", "$12.99", "1,99.0"))),
        "currency_not_allowed": ("currency", rng.choice(("XYZ", "JPY", "US$"))),
        "sold_at_not_a_timestamp": ("sold_at", rng.choice(_BAD_TIMESTAMPS)),
        "payment_method_not_allowed": ("payment_method", rng.choice(("bitcoin", "cheque", "iou"))),
    }[kind]
