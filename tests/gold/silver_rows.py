"""Silver data for the gold tests, written inline with pyarrow in exactly the silver job's shape."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from retailctl import layout
from retailctl.storage import ObjectStore

SILVER_SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("store_id", pa.string()),
        ("product_id", pa.string()),
        ("quantity", pa.int32()),
        ("unit_price", pa.decimal128(12, 2)),
        ("currency", pa.string()),
        ("sold_at", pa.timestamp("us", tz="UTC")),
        ("customer_id", pa.string()),
        ("payment_method", pa.string()),
        ("ingest_run_id", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Sale:
    transaction_id: str
    sold_at: datetime
    quantity: int = 1
    unit_price: str = "2.50"
    store_id: str = "S1"
    customer_id: str | None = "C1"


def sale(transaction_id: str, day: str, **fields: object) -> Sale:
    """A sale sold at noon UTC on ``day``."""
    return Sale(transaction_id, datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC), **fields)  # type: ignore[arg-type]


def write_silver(
    store: ObjectStore,
    sales: list[Sale],
    *,
    run_id: str,
    ingested_at: datetime,
    source_file: str = "sales.csv",
) -> list[str]:
    """Write ``sales`` as one silver run: one new parquet file per date; returns the keys written."""
    by_day: dict[str, list[tuple[int, Sale]]] = {}
    for line, item in enumerate(sales, start=2):
        by_day.setdefault(item.sold_at.date().isoformat(), []).append((line, item))
    keys = []
    for day, rows in sorted(by_day.items()):
        table = pa.Table.from_pylist(
            [
                {
                    "transaction_id": item.transaction_id,
                    "store_id": item.store_id,
                    "product_id": "P1",
                    "quantity": item.quantity,
                    "unit_price": Decimal(item.unit_price),
                    "currency": "USD",
                    "sold_at": item.sold_at,
                    "customer_id": item.customer_id,
                    "payment_method": "card",
                    "ingest_run_id": run_id,
                    "source_file": source_file,
                    "source_line": line,
                    "ingested_at": ingested_at,
                }
                for line, item in rows
            ],
            schema=SILVER_SCHEMA,
        )
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="snappy")
        key = f"{layout.processed_partition(day)}part-{run_id}-{secrets.token_hex(4)}.snappy.parquet"
        store.write(key, sink.getvalue())
        keys.append(key)
    return keys


def days(first: str, count: int) -> list[str]:
    start = datetime.fromisoformat(first)
    return [(start + timedelta(days=offset)).date().isoformat() for offset in range(count)]
