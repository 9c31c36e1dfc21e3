"""The bucket layout: every key of the contract, built in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from retailctl import layout


def test_run_ids_sort_by_time_and_are_unique() -> None:
    early = layout.new_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = layout.new_run_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert early.startswith("20260102T030405Z-")
    assert early < late
    assert layout.is_run_id(early)
    assert len({layout.new_run_id() for _ in range(200)}) == 200
    assert not layout.is_run_id("../etc")


def test_contract_keys() -> None:
    assert layout.raw_key("a b.csv") == "raw/a b.csv"
    assert layout.validated_key("x.csv") == "validated/x.csv"
    assert layout.system_reject_key("x.csv") == "rejected/system/x.csv"
    assert layout.system_reason_key("x.csv") == "rejected/system/x.csv_reason.json"
    assert layout.dq_json_key("R") == "rejected/data_quality/json/ingest_run_id=R/part-0000.json"
    assert layout.dq_csv_key("R") == "rejected/data_quality/csv/ingest_run_id=R/part-0000.csv"
    assert layout.processed_partition(date(2026, 3, 1)) == "processed/date=2026-03-01/"
    assert layout.gold_partition("2026-03-01") == "gold/fact_sales/date=2026-03-01/"
    assert layout.gold_metrics_key(date(2026, 3, 1)) == "audit/gold_compaction/date=2026-03-01/metrics.json"
    assert layout.gold_summary_key() == "audit/gold_compaction/last_run_summary.json"


def test_archive_name_uses_utc_time_and_run_id() -> None:
    when = datetime(2026, 11, 25, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    assert layout.archive_key("sales.csv", "RUN", when) == "archive/validated/sales.csv_20261124T230203_RUN"


def test_name_in_layer() -> None:
    assert layout.name_in(layout.RAW, "raw/sub/x.csv") == "sub/x.csv"
    assert layout.is_reason_key(layout.system_reason_key("x.csv"))


def test_a_refused_raw_key_gets_a_plain_name_and_waits_outside_raw() -> None:
    assert layout.plain_name("raw/Sales\\2024\\day 1.csv") == "Sales%5C2024%5Cday 1.csv"
    assert layout.plain_name("raw//b.csv") == "%2Fb.csv"
    assert layout.plain_name("raw/a/../b%.csv") == "a%2F..%2Fb%25.csv"
    assert layout.renamed_key("%2Fb.csv") == "_staging/validation/renamed/%2Fb.csv"
