"""`retailctl audit show`: the report, its live invariant checks and the exit code, without Spark."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from retailctl import layout
from retailctl.audit import build_report
from retailctl.cli.main import app
from retailctl.config import PipelineConfig
from retailctl.records import update_ingest_record
from retailctl.storage import LocalStore, write_json
from tests.gold.silver_rows import sale, write_silver


def write_gold(store: LocalStore, day: str, keys: list[str]) -> None:
    sink = io.BytesIO()
    pq.write_table(pa.table({"transaction_id": keys}), sink)
    store.write(layout.gold_partition(day) + layout.gold_file_name("R1", 0), sink.getvalue())


def healthy_lake(store: LocalStore) -> None:
    write_gold(store, "2024-03-01", ["a", "b"])
    write_gold(store, "2024-03-02", ["c"])
    write_json(store, layout.gold_summary_key(), {"run_id": "R1", "status": "ok", "check": {"gold_rows": 3, "distinct_silver_keys": 3, "ok": True}})
    write_json(store, layout.gold_metrics_key("2024-03-01"), {"date": "2024-03-01", "run_id": "R1", "rows_out": 2})
    update_ingest_record(store, "R1", file="sales.csv", outcome="archived",
                         silver={"rows_read": 5, "rows_valid": 3, "rows_rejected": 2, "rejects_by_rule": {"quantity_positive": 2}})
    update_ingest_record(store, "R2", file="bad.csv", outcome="rejected", validation={"ok": False})


def invariants(store: LocalStore, config: PipelineConfig) -> dict[str, bool]:
    return {item.name: item.ok for item in build_report(store, config).invariants}


def test_a_healthy_lake_reports_ok(store: LocalStore, config: PipelineConfig) -> None:
    healthy_lake(store)

    report = build_report(store, config)

    assert report.ok
    assert [item["date"] for item in report.partitions] == ["2024-03-01"]
    assert {r["file"]: r["rows_rejected"] for r in report.ingest} == {"sales.csv": 2, "bad.csv": None}
    assert "3 rows in 2 file(s)" in next(i.detail for i in report.invariants if i.name == "gold transaction_id unique")


@pytest.mark.parametrize(
    ("damage", "broken"),
    [
        (lambda store: store.write(layout.raw_key("stuck.csv"), b"x"), "nothing in raw/"),
        (lambda store: store.write(layout.validated_key("stuck.csv"), b"x"), "nothing in validated/"),
        (lambda store: write_gold(store, "2024-03-03", ["a"]), "gold transaction_id unique"),
        (lambda store: update_ingest_record(store, "R3", file="lost.csv", silver={"rows_read": 4, "rows_valid": 3, "rows_rejected": 0}),
         "rows read = valid + rejected"),
    ],
)
def test_each_broken_invariant_is_found(store: LocalStore, config: PipelineConfig, damage: Any, broken: str) -> None:
    healthy_lake(store)
    damage(store)

    checks = invariants(store, config)

    assert {name for name, ok in checks.items() if not ok} == {broken}


def test_cli_exits_1_when_the_last_run_failed_and_renders_both_ways(store: LocalStore, config: PipelineConfig, lake: Any) -> None:
    healthy_lake(store)
    runner = CliRunner()
    people = runner.invoke(app, ["--lake", str(lake), "audit", "show"])
    assert people.exit_code == 0, people.output
    assert "Invariants" in people.output and "sales.csv" in people.output

    write_json(store, layout.gold_summary_key(), {"run_id": "R9", "status": "failed", "errors": [{"error": "boom"}]})
    machines = runner.invoke(app, ["audit-report", "--json", "--lake", str(lake)])
    assert machines.exit_code == 1
    document = json.loads(machines.stdout)
    assert document["ok"] is False and document["last_run"]["run_id"] == "R9"


@pytest.mark.spark
def test_run_gold_compaction_command_then_audit_show(spark: Any, store: LocalStore, lake: Any) -> None:
    write_silver(store, [sale("t1", "2024-03-01"), sale("t1", "2024-03-02"), sale("t2", "2024-03-02")],
                 run_id="R1", ingested_at=datetime(2024, 3, 5, tzinfo=UTC))
    runner = CliRunner()

    compacted = runner.invoke(app, ["--lake", str(lake), "--json", "run-gold-compaction", "--dates", "2024-03-01:2024-03-31"])
    assert compacted.exit_code == 0, compacted.output
    assert json.loads(compacted.stdout)["partitions_rewritten"] == ["2024-03-01", "2024-03-02"]

    shown = runner.invoke(app, ["--lake", str(lake), "--json", "audit", "show"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["ok"]
    assert [(item["date"], item["rows_in"], item["rows_out"]) for item in report["partitions"]] == [("2024-03-01", 1, 0), ("2024-03-02", 2, 2)]

    write_silver(store, [sale("t3", "2024-03-02")], run_id="R2", ingested_at=datetime(2024, 3, 6, tzinfo=UTC))
    appended = runner.invoke(app, ["--lake", str(lake), "run-gold-compaction"])
    assert appended.exit_code == 0, appended.output
    assert "0 partition(s) rewritten, 1 appended to" in " ".join(appended.output.split())
    shown = runner.invoke(app, ["--lake", str(lake), "audit", "show"])
    assert "0 partition(s) rewritten, 1 appended to" in " ".join(shown.output.split())

    wrong = runner.invoke(app, ["--lake", str(lake), "run-gold-compaction", "--dates", "March"])
    assert wrong.exit_code == 2 and "YYYY-MM-DD" in wrong.output
