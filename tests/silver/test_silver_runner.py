"""The silver runner end to end on a local lake: messy files, row conservation, atomic commit, fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.jobs import silver_runner
from retailctl.jobs.rejects_csv import read_rejects_csv
from retailctl.jobs.silver_runner import run_silver
from retailctl.records import read_ingest_record
from retailctl.storage import LocalStore, read_json
from tests.silver.silver_files import HEADER, PutValidated, csv_line, row

pytestmark = pytest.mark.spark

SEMICOLON_HEADER = ("sold_at", "transaction_id", "note", "store_id", "product_id", "quantity", "unit_price", "currency", "payment_method")


def messy_file() -> tuple[bytes, set[int], set[int]]:
    """BOM, CRLF, quoted delimiters and newlines, a blank line, ragged and formula rows, bad UTF-8 deep down.

    Returns the bytes, the line numbers of valid records and those of rejected records.
    """
    lines = [
        csv_line(HEADER),
        row(transaction_id="T1", sold_at="2024-01-01T23:30:00-05:00"),
        row(transaction_id="T2", product_id="P,2", store_id='say "hi"'),
        row(transaction_id="T3", product_id="multi\r\nline"),
        "",
        "T5,S1,P1",
        row(transaction_id="=1+1", customer_id="@SUM(A1)"),
    ]
    lines += [row(transaction_id=f"T{n}", sold_at="2024-01-01T00:30:00+01:00") for n in range(100, 300)]
    text = "\r\n".join(lines) + "\r\n"
    bad = row(transaction_id="T400", store_id="S\x00BAD").replace("\x00", "")
    tail = bad.encode().replace(b"SBAD", b"S\xff\xfeBAD") + b"\r\n" + row(transaction_id="T401").encode()
    data = "\ufeff".encode() + text.encode() + tail
    valid = {2, 3, 4, *range(9, 209), 210}
    rejected = {7, 8, 209}
    return data, valid, rejected


def semicolon_file() -> bytes:
    lines = [
        csv_line(SEMICOLON_HEADER, ";"),
        row(SEMICOLON_HEADER, ";", transaction_id="S1", note="a;b"),
        row(SEMICOLON_HEADER, ";", transaction_id="S2", payment_method="MOBILE"),
        row(SEMICOLON_HEADER, ";", transaction_id="S3", quantity="0"),
    ]
    return ("\n".join(lines) + "\n").encode()


def processed_rows(spark: Any, lake: Path) -> list[Any]:
    if not (lake / "processed").exists():
        return []
    return spark.read.parquet(str(lake / "processed")).collect()


def reject_records(store: LocalStore, run_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in store.read(layout.dq_json_key(run_id)).decode().splitlines()]


def leftovers(store: LocalStore) -> list[str]:
    """Keys no failed run may leave: silver output, row rejects, staging, files waiting."""
    prefixes = (layout.PROCESSED, layout.REJECTED_DQ, layout.STAGING, layout.VALIDATED, layout.ARCHIVE_VALIDATED)
    return [info.key for prefix in prefixes for info in store.list(prefix)]


@pytest.fixture(params=["counted on the driver", "counted on the driver in 1 KiB blocks", "counted by Spark in 1 KiB blocks"])
def line_counting(request: pytest.FixtureRequest, spark: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every way silver numbers lines: a small or local batch on the driver, any batch by a Spark job over blocks."""
    if request.param == "counted on the driver":
        yield
        return
    monkeypatch.setattr(silver_runner, "SMALL_BATCH_BYTES", 0)
    if request.param.startswith("counted by Spark"):
        monkeypatch.setattr(silver_runner, "SMALL_BATCH_FILES", 0)
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "1024")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)


@pytest.mark.usefixtures("line_counting")
@pytest.mark.parametrize("line_end", ["\n", "\r"], ids=["LF", "CR alone"])
def test_quoted_records_across_block_boundaries_keep_their_numbers_and_text(
    spark: Any, store: LocalStore, lake: Path, config: PipelineConfig, put_validated: PutValidated, line_end: str
) -> None:
    """Every third record spans three lines; in 1 KiB blocks many of them straddle a block's start."""
    lines = [csv_line(HEADER)]
    first_line_of = {}
    for n in range(120):
        first_line_of[f"Q{n}"] = len(lines) + 1 + sum(text.count("\n") for text in lines)
        lines.append(row(transaction_id=f"Q{n}", product_id=f"P{n}\nsecond\nthird" if n % 3 == 0 else f"P{n}"))
    text = ("\n".join(lines) + "\n").replace("\n", line_end)
    run = put_validated("quoted across blocks.csv", text.encode(), line_terminator=line_end)

    result = run_silver(spark, store, config)

    assert [f.outcome for f in result.files] == ["archived"]
    rows = {r["transaction_id"]: r for r in processed_rows(spark, lake) if r["ingest_run_id"] == run}
    assert {key: r["source_line"] for key, r in rows.items()} == first_line_of
    assert all(rows[f"Q{n}"]["product_id"] == f"P{n}\nsecond\nthird" for n in range(0, 120, 3))


@pytest.mark.usefixtures("line_counting")
def test_messy_batch_every_row_lands_in_exactly_one_place(
    spark: Any, store: LocalStore, lake: Path, config: PipelineConfig, put_validated: PutValidated
) -> None:
    data, valid_lines, rejected_lines = messy_file()
    messy_run = put_validated("in/messy sales.csv", data)
    semi_run = put_validated("semi;colon [1].csv", semicolon_file(), SEMICOLON_HEADER, ";")

    result = run_silver(spark, store, config)

    assert [f.outcome for f in result.files] == ["archived", "archived"]
    assert list(store.list(layout.VALIDATED)) == [] and list(store.list(layout.STAGING)) == []
    rows = processed_rows(spark, lake)
    messy_rows = [r for r in rows if r["ingest_run_id"] == messy_run]
    assert sorted(r["source_line"] for r in messy_rows) == sorted(valid_lines)
    rejects = reject_records(store, messy_run)
    assert sorted(r["line_number"] for r in rejects) == sorted(rejected_lines)
    by_line = {r["source_line"]: r for r in messy_rows}
    assert by_line[2]["date"].isoformat() == "2024-01-02" and by_line[9]["date"].isoformat() == "2023-12-31"
    assert (by_line[3]["product_id"], by_line[3]["store_id"]) == ("P,2", 'say "hi"')
    assert by_line[4]["product_id"] == "multi\r\nline"
    assert not any("\ufffd" in str(value) for r in rows for value in r)
    rules = {r["line_number"]: {reason["rule"] for reason in r["reject_reason"]} for r in rejects}
    assert rules == {7: {"malformed_row"}, 8: {"pattern"}, 209: {"invalid_utf8"}}
    assert next(r for r in rejects if r["line_number"] == 7)["raw_row"] == "T5,S1,P1"

    record = read_ingest_record(store, messy_run)
    silver = record["silver"]
    assert record["outcome"] == "archived"
    assert (silver["rows_read"], silver["rows_valid"], silver["rows_rejected"]) == (207, 204, 3)
    assert silver["rows_read"] == silver["rows_valid"] + silver["rows_rejected"]
    assert silver["blank_lines"] == 1 and silver["rejects_by_rule"] == {"invalid_utf8": 1, "malformed_row": 1, "pattern": 1}
    assert silver["partitions"] == ["2023-12-31", "2024-01-02", "2024-03-01"]
    assert store.read(record["archive_key"]) == data

    semi = sorted((r for r in rows if r["ingest_run_id"] == semi_run), key=lambda r: r["source_line"])
    assert [(r["transaction_id"], r["payment_method"], r["customer_id"]) for r in semi] == [("S1", "card", None), ("S2", "mobile", None)]
    assert read_ingest_record(store, semi_run)["silver"]["rejects_by_rule"] == {"exclusive_min": 1}
    assert all(info.key.endswith(".snappy.parquet") for info in store.list(layout.PROCESSED))


def test_analyst_csv_escapes_formulas_and_reads_back_exactly(
    spark: Any, store: LocalStore, config: PipelineConfig, put_validated: PutValidated
) -> None:
    data = "\n".join([csv_line(HEADER), row(transaction_id="=1+1", store_id="-5", customer_id="'quoted"),
                      row(transaction_id="@x", quantity="\t9"), "+cmd,1"]).encode()
    run_id = put_validated("formulas.csv", data)
    run_silver(spark, store, config)

    text = store.read(layout.dq_csv_key(run_id)).decode()
    assert '"\'=1+1,' in text and '"\'@x,' in text and '"\'+cmd,1"' in text
    from_csv = read_rejects_csv(store.read(layout.dq_csv_key(run_id)))
    from_json = reject_records(store, run_id)
    assert [r["raw_row"] for r in from_csv] == [r["raw_row"] for r in from_json]
    assert [r["transaction_id"] for r in from_csv] == ["=1+1", "@x", ""]
    assert [json.loads(r["reject_reason"]) for r in from_csv] == [r["reject_reason"] for r in from_json]


STEPS = ["staged", "publishing", "published", "archiving", "archived"]


@pytest.fixture(scope="module")
def undisturbed(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], list[Any]]:
    """Silver rows and rejects of the small failure-test file, run once without interference."""
    from retailctl.config import load_config

    lake = tmp_path_factory.mktemp("undisturbed")
    store = LocalStore(lake)
    config = load_config(None, {"local.lake_root": str(lake)}, environ={})
    store.write(layout.validated_key("small.csv"), small_file())
    run_silver(spark, store, config)
    return comparable_silver(spark, store, lake)


def small_file() -> bytes:
    return "\n".join([csv_line(HEADER), row(transaction_id="A1"), row(transaction_id="A2", sold_at="2024-03-02T01:00:00+02:00"),
                      row(transaction_id="A3", quantity="-1")]).encode()


def comparable_silver(spark: Any, store: LocalStore, lake: Path) -> tuple[list[Any], list[Any]]:
    """Silver rows and rejects without what differs between runs (times, run ids)."""
    rows = sorted(tuple(v for k, v in r.asDict().items() if k not in ("ingested_at", "ingest_run_id")) for r in processed_rows(spark, lake))
    rejects = [
        {k: v for k, v in json.loads(line).items() if k not in ("rejected_at", "ingest_run_id")}
        for info in store.list(layout.REJECTED_DQ_JSON) for line in store.read(info.key).decode().splitlines()
    ]
    return rows, rejects


class InjectedFailure(RuntimeError):
    pass


@pytest.mark.parametrize("step", STEPS)
def test_failure_at_each_commit_step_leaves_nothing_and_rerun_matches(
    spark: Any, store: LocalStore, lake: Path, config: PipelineConfig, put_validated: PutValidated,
    undisturbed: tuple[list[Any], list[Any]], step: str,
) -> None:
    run_id = put_validated("small.csv", small_file())

    def fail_at(reached: str) -> None:
        if reached == step:
            raise InjectedFailure(f"injected at {step}")

    result = run_silver(spark, store, config, checkpoint=fail_at)

    assert [f.outcome for f in result.files] == ["rejected"]
    assert leftovers(store) == []
    reason = read_json(store, layout.system_reason_key("small.csv"))
    assert (reason["stage"], reason["error_type"], reason["ingest_run_id"]) == ("silver", "InjectedFailure", run_id)
    assert f"injected at {step}" in reason["message"] and "InjectedFailure" in reason["stacktrace"]
    assert read_ingest_record(store, run_id)["outcome"] == "rejected"

    store.move(layout.system_reject_key("small.csv"), layout.validated_key("small.csv"))
    again = run_silver(spark, store, config)
    assert [f.outcome for f in again.files] == ["archived"]
    assert comparable_silver(spark, store, lake) == undisturbed


def test_one_bad_file_fails_alone(
    spark: Any, store: LocalStore, config: PipelineConfig, put_validated: PutValidated
) -> None:
    good_runs = [put_validated(f"good{n}.csv", small_file()) for n in (1, 2)]
    put_validated("broken.csv", small_file())
    record_key = layout.validation_record_key("broken.csv")
    record = read_json(store, record_key)
    record["column_positions"]["currency"] = 42
    store.write(record_key, json.dumps(record).encode())

    result = run_silver(spark, store, config)

    outcomes = {f.file: f.outcome for f in result.files}
    assert outcomes == {"good1.csv": "archived", "good2.csv": "archived", "broken.csv": "rejected"}
    assert [read_ingest_record(store, run)["silver"]["rows_valid"] for run in good_runs] == [2, 2]
    reason = read_json(store, layout.system_reason_key("broken.csv"))
    assert reason["reason_code"] == "job_failed" and reason["stacktrace"]
    assert list(store.list(layout.VALIDATED)) == [] and list(store.list(layout.STAGING)) == []


def test_file_without_record_is_described_in_place_or_rejected(
    spark: Any, store: LocalStore, config: PipelineConfig
) -> None:
    store.write(layout.validated_key("norecord.csv"), small_file())
    store.write(layout.validated_key("noheader.csv"), b"just,some,words\n1,2,3\n")

    result = run_silver(spark, store, config)

    outcomes = {f.file: f.outcome for f in result.files}
    assert outcomes == {"norecord.csv": "archived", "noheader.csv": "rejected"}
    reason = read_json(store, layout.system_reason_key("noheader.csv"))
    assert reason["stage"] == "silver" and reason["reason_code"] != "job_failed"
    assert next(f for f in result.files if f.file == "norecord.csv").rows_valid == 2


def test_rejects_keep_quotes_backslashes_and_control_characters_exactly(
    spark: Any, store: LocalStore, config: PipelineConfig, put_validated: PutValidated
) -> None:
    lines = [row(transaction_id="T\\1\x01", product_id='P "q"'), row(transaction_id="T#2", product_id="a\nb\\")]
    run_id = put_validated("escapes.csv", "\n".join([csv_line(HEADER), *lines]).encode())
    run_silver(spark, store, config)

    rejects = sorted(reject_records(store, run_id), key=lambda r: r["line_number"])
    assert [r["raw_row"] for r in rejects] == lines
    assert [r["transaction_id"] for r in rejects] == ["T\\1\x01", "T#2"]
    assert [[(reason["rule"], reason["value"]) for reason in r["reject_reason"]] for r in rejects] == [
        [("pattern", "T\\1\x01")], [("pattern", "T#2")]
    ]
