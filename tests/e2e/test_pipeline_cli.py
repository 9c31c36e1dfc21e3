"""The whole pipeline through the CLI on a temporary lake: ingest, duplicates, corrections, replays, status, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as pads
import pytest

from retailctl import layout
from retailctl.jobs.rejects_csv import read_rejects_csv, write_rejects_csv
from retailctl.storage import LocalStore, read_json
from tests.conftest import REPO

pytestmark = pytest.mark.spark

HEADER = "transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method"
SAMPLES = REPO / "samples"


@pytest.fixture(autouse=True)
def _session(spark: Any) -> None:
    """The CLI's SparkSession is the test session (getOrCreate), so no second JVM starts."""


def csv_file(folder: Path, name: str, *rows: str, header: str = HEADER) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def row(tid: str, quantity: int = 1, day: str = "2024-05-01", price: str = "2.50", currency: str = "USD") -> str:
    return f"{tid},S1,P1,{quantity},{price},{currency},{day}T10:00:00Z,,card"


def gold(lake: Path) -> dict[str, dict[str, Any]]:
    rows = pads.dataset(lake / "gold" / "fact_sales", format="parquet", partitioning="hive").to_table().to_pylist()
    keys = [r["transaction_id"] for r in rows]
    assert len(keys) == len(set(keys)), "gold keys must be unique"
    return {r["transaction_id"]: r for r in rows}


def gold_files(store: LocalStore) -> dict[str, str]:
    return {info.key: info.etag for info in store.list(layout.GOLD)}


def payload(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_ingest_samples_end_to_end(cli: Any, store: LocalStore, lake: Path) -> None:
    result = cli("ingest", str(SAMPLES))
    assert result.exit_code == 1, result.output
    assert "missing_columns" in result.output and "Row rejects by rule" in result.output
    assert "retailctl audit show" in result.output
    assert not list(store.list(layout.RAW)) and not list(store.list(layout.VALIDATED))
    assert store.exists(layout.system_reason_key("sales_missing_column.csv"))
    assert len(list(store.list(layout.ARCHIVE_VALIDATED))) == 2
    assert gold(lake)


def test_ingest_json_counts_every_row(cli: Any, tmp_path: Path, lake: Path) -> None:
    good = csv_file(tmp_path, "day1.csv", row("A1"), row("A2", 3), row("A3", -1), row("A4", currency="JPY"))
    result = cli("--json", "ingest", str(good))
    assert result.exit_code == 0, result.output
    document = payload(result)
    (only,) = document["files"]
    assert only["outcome"] == "archived"
    assert (only["rows_read"], only["rows_valid"], only["rows_rejected"]) == (4, 2, 2)
    assert document["rejects_by_rule"] == {"allowed": 1, "exclusive_min": 1}
    assert document["gold"]["status"] == "ok"
    assert document["exit_code"] == 0
    assert set(gold(lake)) == {"A1", "A2"}


def test_odd_names_and_folders_go_all_the_way(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    drop = tmp_path / "drop"
    csv_file(drop, "store #7 (north).csv", row("N1"))
    csv_file(drop, "2024/ventes été.csv", row("N2"))
    csv_file(drop, "export.csv.gz", row("N3"))  # plain text: Spark must not gunzip it
    (drop / ".DS_Store").write_bytes(b"\x00\x01")
    result = cli("ingest", str(drop))
    assert result.exit_code == 0, result.output
    archived = sorted(info.key for info in store.list(layout.ARCHIVE_VALIDATED))
    assert archived[0].startswith("archive/validated/2024/ventes été.csv_")
    assert archived[1].startswith("archive/validated/export.csv.gz_")
    assert archived[2].startswith("archive/validated/store #7 (north).csv_")
    assert set(gold(lake)) == {"N1", "N2", "N3"}


@pytest.mark.parametrize(
    ("line_end", "in_quotes"),
    [("\r", "\n"), ("\r\r\n", "\r\r\n")],
    ids=["CR alone (Excel for Mac's CSV (Macintosh))", "CR CR LF (a CRLF file written again in text mode on Windows)"],
)
def test_other_line_ends_lose_no_row_and_keep_line_numbers(
    cli: Any, tmp_path: Path, store: LocalStore, lake: Path, line_end: str, in_quotes: str
) -> None:
    text = "\n".join([HEADER, row("C1"), row("C2", -1), '"C3",S1,P1,1,2.50,USD,2024-05-01T10:00:00Z,"two\nlines",card', row("C4")]) + "\n"
    path = tmp_path / "other line ends.csv"
    path.write_bytes(text.replace("\n", line_end).encode())
    result = cli("--json", "ingest", str(path))
    assert result.exit_code == 0, result.output
    (only,) = payload(result)["files"]
    assert (only["rows_read"], only["rows_valid"], only["rows_rejected"]) == (4, 3, 1)
    assert set(gold(lake)) == {"C1", "C3", "C4"}
    assert (gold(lake)["C3"]["customer_id"], gold(lake)["C4"]["payment_method"]) == (f"two{in_quotes}lines", "card")
    (reject,) = [json.loads(line) for info in store.list(layout.REJECTED_DQ_JSON) for line in store.read(info.key).splitlines()]
    assert (reject["line_number"], reject["transaction_id"], reject["raw_row"]) == (3, "C2", row("C2", -1))


def test_blank_lines_excels_sep_line_and_empty_rows(cli: Any, tmp_path: Path, lake: Path) -> None:
    blank_first = tmp_path / "blank first.csv"
    blank_first.write_text("\n \n" + "\n".join([HEADER, row("H1"), row("H2", -1)]) + "\n", encoding="utf-8")
    excel = tmp_path / "excel.csv"
    lines = [HEADER, row("H3"), row("H4"), ",,,,,,,,", ", ,,,,,,,"]  # Excel writes a formatted empty row as delimiters only
    excel.write_text("sep=;\r\n" + "\r\n".join(line.replace(",", ";") for line in lines) + "\r\n")
    result = cli("--json", "ingest", str(blank_first), str(excel))
    assert result.exit_code == 0, result.output
    counts = {f["file"]: (f["rows_read"], f["rows_valid"], f["rows_rejected"]) for f in payload(result)["files"]}
    assert counts == {"blank first.csv": (2, 1, 1), "excel.csv": (2, 2, 0)}
    assert set(gold(lake)) == {"H1", "H3", "H4"}


def test_same_bytes_again_change_nothing_unless_forced(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    first = csv_file(tmp_path, "a.csv", row("D1"), row("D2"))
    assert cli("ingest", str(first)).exit_code == 0
    correction = csv_file(tmp_path, "fix.csv", row("D1", quantity=9))
    assert cli("ingest", str(correction)).exit_code == 0
    before = gold_files(store)
    resent = csv_file(tmp_path / "again", "a copy.csv", row("D1"), row("D2"))
    result = cli("--json", "ingest", str(resent))
    assert result.exit_code == 0, result.output
    (outcome,) = payload(result)["files"]
    assert outcome["outcome"] == "duplicate_content"
    assert outcome["duplicate_of"]["file"] == "a.csv"
    assert outcome["location"].startswith(layout.ARCHIVE_DUPLICATES)
    assert gold_files(store) == before
    assert gold(lake)["D1"]["quantity"] == 9, "an old copy must not undo a later correction"
    forced = cli("--json", "ingest", "--force", str(resent))
    assert forced.exit_code == 0
    assert payload(forced)["files"][0]["outcome"] == "archived"


def test_a_correction_that_moves_a_transaction_to_another_day(cli: Any, tmp_path: Path, lake: Path) -> None:
    assert cli("ingest", str(csv_file(tmp_path, "a.csv", row("M1", day="2024-05-01"), row("M2", day="2024-05-01")))).exit_code == 0
    assert cli("ingest", str(csv_file(tmp_path, "b.csv", row("M1", quantity=4, day="2024-05-02")))).exit_code == 0
    table = gold(lake)
    assert str(table["M1"]["date"]) == "2024-05-02" and table["M1"]["quantity"] == 4
    day1 = pads.dataset(lake / "gold/fact_sales/date=2024-05-01", format="parquet").to_table().column("transaction_id").to_pylist()
    assert day1 == ["M2"]


def test_replay_a_whole_file_reject_after_fixing_it(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    bad = csv_file(tmp_path, "late.csv", "R1,S1,P1,1,2.50,USD", header="transaction_id,store_id,product_id,quantity,unit_price,currency")
    assert cli("ingest", str(bad)).exit_code == 1
    reason = read_json(store, layout.system_reason_key("late.csv"))
    assert reason["reason_code"] == "missing_columns"
    dry = cli("--json", "replay", "rejected/system", "--dry-run")
    assert dry.exit_code == 0 and [i["file"] for i in payload(dry)["items"]] == ["late.csv"]
    assert store.exists(layout.system_reject_key("late.csv"))
    store.write(layout.system_reject_key("late.csv"), (HEADER + "\n" + row("R1") + "\n").encode())
    result = cli("--json", "replay-rejects", "rejected/system", "--file", "late.csv")
    assert result.exit_code == 0, result.output
    assert payload(result)["pipeline"]["files"][0]["outcome"] == "archived"
    history = [info.key for info in store.list(layout.REJECTED_SYSTEM + layout.SYSTEM_HISTORY)]
    assert history == [layout.system_reason_history_key("late.csv", reason["ingest_run_id"])]
    assert not store.exists(layout.system_reject_key("late.csv"))
    again = cli("replay", "rejected/system")
    assert again.exit_code == 0 and "Nothing to replay" in again.output
    assert set(gold(lake)) == {"R1"}


def test_a_failed_silver_job_then_replay(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    blocker = lake / "processed"
    blocker.write_text("a file where the processed/ folder should be")
    result = cli("--json", "ingest", str(csv_file(tmp_path, "f.csv", row("F1"))))
    assert result.exit_code == 1
    (outcome,) = payload(result)["files"]
    assert outcome["outcome"] == "rejected" and outcome["stage"] == "silver"
    reason = read_json(store, layout.system_reason_key("f.csv"))
    assert reason["stage"] == "silver" and reason["stacktrace"]
    assert not list(store.list(layout.VALIDATED)) and not list(store.list(layout.STAGING))
    assert not list(store.list(layout.REJECTED_DQ)) and not list(store.list(layout.ARCHIVE_VALIDATED))
    blocker.unlink()
    replayed = cli("--json", "replay", "rejected/system")
    assert replayed.exit_code == 0, replayed.output
    assert payload(replayed)["pipeline"]["files"][0]["outcome"] == "archived"
    assert set(gold(lake)) == {"F1"}


def test_replay_row_rejects_as_they_were_and_twice(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    line_breaks_to_python = row("Q3\u2028\x85", quantity=0)
    first = cli("--json", "ingest", str(csv_file(tmp_path, "s.csv", row("Q1"), row("Q2", quantity=0), line_breaks_to_python)))
    run_id = payload(first)["files"][0]["ingest_run_id"]
    result = cli("--json", "replay", "rejected/data_quality", "--run-id", run_id)
    assert result.exit_code == 0, result.output
    document = payload(result)
    assert document["replay_file"] == f"s.replay-of-{run_id}.csv" and document["rows"] == 2
    (replayed,) = document["pipeline"]["files"]
    assert (replayed["outcome"], replayed["rows_valid"], replayed["rows_rejected"]) == ("archived", 0, 2)
    assert store.exists(layout.dq_json_key(run_id)), "the original rejects are kept"
    assert read_json(store, layout.dq_replayed_marker_key(run_id))["replay_file"] == document["replay_file"]
    twice = cli("--json", "replay", "rejected/data_quality", "--run-id", run_id)
    assert twice.exit_code == 0 and payload(twice)["already_replayed_by"] == document["replay_file"]
    assert set(gold(lake)) == {"Q1"}


def test_replay_row_rejects_from_an_analysts_corrected_csv(cli: Any, tmp_path: Path, store: LocalStore, lake: Path) -> None:
    formula = "=SUM(1),S1,P1,1,2.50,USD,2024-05-01T10:00:00Z,,card"
    first = cli("--json", "ingest", str(csv_file(tmp_path, "s.csv", row("C1"), row("C2", quantity=-3), formula)))
    run_id = payload(first)["files"][0]["ingest_run_id"]
    rejects = read_rejects_csv(store.read(layout.dq_csv_key(run_id)))
    assert sorted(r["raw_row"] for r in rejects) == sorted([row("C2", quantity=-3), formula])
    for reject in rejects:
        reject["raw_row"] = reject["raw_row"].replace(",-3,", ",3,")
    corrected = tmp_path / "corrected.csv"
    corrected.write_bytes(write_rejects_csv(rejects))
    result = cli("--json", "replay", "rejected/data_quality", "--run-id", run_id, "--from-csv", str(corrected))
    assert result.exit_code == 0, result.output
    (replayed,) = payload(result)["pipeline"]["files"]
    assert (replayed["rows_valid"], replayed["rows_rejected"]) == (1, 1)
    assert gold(lake)["C2"]["quantity"] == 3
    again = cli("--json", "replay", "rejected/data_quality", "--run-id", run_id, "--from-csv", str(corrected))
    assert payload(again)["already_replayed_by"] and set(gold(lake)) == {"C1", "C2"}


def test_status_and_audit_after_a_run(cli: Any, tmp_path: Path) -> None:
    assert cli("ingest", str(csv_file(tmp_path, "s.csv", row("T1"), row("T2", quantity=0)))).exit_code == 0
    status = cli("--json", "status")
    assert status.exit_code == 0
    assert not payload(status)["waiting"]
    assert payload(status)["last_compaction"]["status"] == "ok"
    (record,) = payload(status)["recent_ingests"]
    assert (record["outcome"], record["silver"]["rows_valid"], record["silver"]["rows_rejected"]) == ("archived", 1, 1)
    assert "Last gold compaction" in cli("status").output
    audit = cli("--json", "audit", "show")
    assert audit.exit_code == 0, audit.output
    human = cli("audit-report")
    assert human.exit_code == 0 and "transaction_id unique" in human.output


def test_usage_errors_exit_2(cli: Any) -> None:
    assert cli("replay", "rejected/elsewhere").exit_code == 2
    assert cli("replay", "rejected/data_quality").exit_code == 2
    assert cli("replay", "rejected/data_quality", "--run-id", "../x").exit_code == 2
    assert cli("replay", "rejected/system", "--file", "nope.csv").exit_code == 2
