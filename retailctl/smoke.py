"""``retailctl smoke``: the whole pipeline on a known dataset in a fresh lake, every invariant checked.

The dataset is small and exact, so every expected number is known: good rows and bad rows of every
kind, a file rejected whole, a copy of a file under another name, and a later batch of corrections
(one of which moves a transaction to another day). Each check prints what it compared.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from retailctl import layout
from retailctl.audit import check_invariants
from retailctl.config import PipelineConfig
from retailctl.pipeline import PipelineResult, Progress, SessionProvider, run_pipeline
from retailctl.storage import LocalStore, ObjectStore, read_json_or

HEADER = "transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method"
DAYS = ("2024-03-01", "2024-03-02", "2024-03-03")
MOVED_TO = "2024-03-04"
BAD_ROWS = {
    "quantity_negative": "S-BAD-1,S01,P-1,-2,3.00,USD,2024-03-01T10:00:00Z,,card",
    "currency_not_allowed": "S-BAD-2,S01,P-1,1,3.00,JPY,2024-03-01T10:00:00Z,,card",
    "bad_timestamp": "S-BAD-3,S01,P-1,1,3.00,USD,yesterday,,card",
    "ragged_row": "S-BAD-4,S01,P-1,1,3.00,USD",
    "formula_injection": "=HYPERLINK(1),S01,P-1,1,3.00,USD,2024-03-01T10:00:00Z,,card",
}


@dataclass(frozen=True)
class Check:
    """One invariant and whether it held."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class SmokeResult:
    """Every check of a smoke run, in the order they ran."""

    lake: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"lake": self.lake, "ok": self.ok, "checks": [check.to_dict() for check in self.checks]}


@dataclass(frozen=True)
class _Row:
    transaction_id: str
    quantity: int
    unit_price: str
    day: str

    def line(self, hour: int = 10) -> str:
        return f"{self.transaction_id},S0{hour % 3},P-{hour},{self.quantity},{self.unit_price},USD,{self.day}T{hour:02d}:15:00Z,,card"


def _first_batch() -> list[_Row]:
    return [_Row(f"S-{n:04d}", n % 5 + 1, f"{n}.25", DAYS[n % len(DAYS)]) for n in range(1, 31)]


def _corrections(first: list[_Row]) -> list[_Row]:
    fixed = [_Row(row.transaction_id, row.quantity + 10, row.unit_price, row.day) for row in first[:4]]
    moved = first[4]
    return [*fixed, _Row(moved.transaction_id, moved.quantity, moved.unit_price, MOVED_TO)]


def write_dataset(folder: Path) -> tuple[dict[str, Path], dict[str, _Row]]:
    """Write the smoke files into ``folder``; return them by role and the gold expected in the end."""
    first = _first_batch()
    corrections = _corrections(first)
    sales = "\n".join([HEADER, *(row.line(n % 24) for n, row in enumerate(first)), *BAD_ROWS.values()]) + "\n"
    files = {
        "sales": folder / "batch1" / "sales_2024-03-01.csv",
        "copy": folder / "batch1" / "sales copy (resent).csv",
        "broken": folder / "batch1" / "broken_header.csv",
        "corrections": folder / "batch2" / "corrections.csv",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    files["sales"].write_text(sales, encoding="utf-8")
    files["copy"].write_text(sales, encoding="utf-8")
    files["broken"].write_text("transaction_id,store_id,quantity\nS-9999,S01,1\n", encoding="utf-8")
    semicolons = [HEADER.replace(",", ";"), *(row.line(n).replace(",", ";") for n, row in enumerate(corrections))]
    files["corrections"].write_bytes(b"\xef\xbb\xbf" + "\r\n".join(semicolons).encode() + b"\r\n")
    expected = {row.transaction_id: row for row in first}
    expected.update({row.transaction_id: row for row in corrections})
    return files, expected


@contextmanager
def _lake(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="retailctl-smoke-") as temp:
        yield Path(temp)


def run_smoke(
    config: PipelineConfig,
    *,
    workdir: Path | None = None,
    sessions: SessionProvider | None = None,
    progress: Progress | None = None,
    on_check: Callable[[Check], None] | None = None,
) -> SmokeResult:
    """Run the smoke scenario in ``workdir`` (a temporary directory by default) and check every invariant."""
    from retailctl.ingest import stage_files

    config = replace(config, backend="local")
    with _lake(workdir) as root:
        store = LocalStore(root / "lake")
        result = SmokeResult(str(store.root))
        sessions = sessions or SessionProvider(config)

        def check(name: str, ok: bool, detail: str) -> None:
            outcome = Check(name, bool(ok), detail)
            result.checks.append(outcome)
            if on_check:
                on_check(outcome)

        files, expected = write_dataset(root / "input")

        def ingest(*roles: str) -> PipelineResult:
            names = stage_files(store, [files[role] for role in roles])
            return run_pipeline(store, config, names, sessions=sessions, progress=progress)

        first = ingest("sales", "copy", "broken")
        outcomes = {f.file: f.outcome for f in first.files}
        wanted = {files["sales"].name: "archived", files["copy"].name: "duplicate_content", files["broken"].name: "rejected"}
        check("first batch routed", outcomes == wanted, f"outcomes {outcomes}")
        sales = next((f for f in first.files if f.file == files["sales"].name), None)
        check(
            "row rejects counted",
            sales is not None and sales.rows_valid == 30 and sales.rows_rejected == len(BAD_ROWS),
            f"valid {sales and sales.rows_valid} (want 30), rejected {sales and sales.rows_rejected} (want {len(BAD_ROWS)})",
        )
        check(
            "broken file has its reason",
            store.exists(layout.system_reject_key(files["broken"].name))
            and read_json_or(store, layout.system_reason_key(files["broken"].name), {}).get("reason_code") == "missing_columns",
            layout.system_reason_key(files["broken"].name),
        )
        second = ingest("corrections")
        check("corrections archived", [f.outcome for f in second.files] == ["archived"], f"{[f.outcome for f in second.files]}")
        gold_before = _gold_files(store)
        resent = ingest("sales")
        check(
            "re-sent file changes nothing",
            [f.outcome for f in resent.files] == ["duplicate_content"] and _gold_files(store) == gold_before,
            f"outcome {[f.outcome for f in resent.files]}, gold files unchanged: {_gold_files(store) == gold_before}",
        )
        _check_lake(store, config, sessions, expected, check)
        return result


def _check_lake(
    store: ObjectStore,
    config: PipelineConfig,
    sessions: SessionProvider,
    expected: dict[str, _Row],
    check: Callable[[str, bool, str], None],
) -> None:
    for invariant in check_invariants(store, config):
        check(f"audit invariant: {invariant.name}", invariant.ok, invariant.detail)
    spark = sessions.get()
    gold = spark.read.parquet(store.uri(layout.gold_table_prefix(config.dataset.gold_table))).collect()
    keys = [row["transaction_id"] for row in gold]
    check("one gold row per key", len(keys) == len(set(keys)) == len(expected), f"{len(keys)} rows, {len(set(keys))} keys, {len(expected)} expected")
    wrong = [
        row["transaction_id"]
        for row in gold
        if row["transaction_id"] not in expected
        or row["quantity"] != expected[row["transaction_id"]].quantity
        or str(row["date"]) != expected[row["transaction_id"]].day
        or str(row["unit_price"]) != expected[row["transaction_id"]].unit_price
        or row["net_amount"] != row["quantity"] * row["unit_price"]
    ]
    check("gold holds the latest values", not wrong, f"wrong rows: {wrong}" if wrong else "corrections applied, moved row on its new day")
    summary = read_json_or(store, layout.gold_summary_key(), {})
    per_day: dict[str, int] = {}
    for row in gold:
        per_day[str(row["date"])] = per_day.get(str(row["date"]), 0) + 1
    audited = {day: read_json_or(store, layout.gold_metrics_key(day), {}).get("rows_out") for day in per_day}
    check(
        "audit agrees with gold",
        summary.get("status") == "ok" and audited == per_day,
        f"last run {summary.get('status')}, rows per day in metrics {audited}, in gold {per_day}",
    )


def _gold_files(store: ObjectStore) -> dict[str, str]:
    return {info.key: info.etag for info in store.list(layout.GOLD)}
