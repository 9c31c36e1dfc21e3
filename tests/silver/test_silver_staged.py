"""The reject files written from silver's staged rejects: exact JSON lines and analyst CSV, no Spark needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from retailctl.jobs.rejects_csv import read_rejects_csv
from retailctl.jobs.silver import NOT_VALID_OUTCOME
from retailctl.jobs.silver_staged import (
    FileStats,
    RejectReasons,
    StagedFile,
    stage_rejects,
    staged_reject_files,
)
from retailctl.storage import LocalStore


@dataclass(frozen=True)
class Rule:
    name: str
    column: str | None
    message: str


COLUMNS = ["transaction_id", "quantity", "note"]
RULES = [
    Rule("malformed_row", None, "wrong number of fields"),
    Rule("integer", "quantity", 'must be an "integer"'),
    Rule("pattern", "transaction_id", "must match ^T\\d+$"),
]
REJECTED_AT = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _stage(store: LocalStore, rows: list[tuple[str, int, dict[str, Any] | None]]) -> StagedFile:
    table = pa.table({
        "ingest_run_id": [run_id for run_id, _, _ in rows],
        "source_line": pa.array([line for _, line, _ in rows], pa.int64()),
        "source_file": [json.dumps(detail) if detail is not None else None for _, _, detail in rows],
    })
    pq.write_table(table, store.path("staged/part-0.parquet"))
    return StagedFile(store.head("staged/part-0.parquet"), NOT_VALID_OUTCOME)


def test_reject_lines_are_json_as_spark_writes_it_blank_lines_are_counted_and_the_csv_reads_back(tmp_path: Any) -> None:
    store = LocalStore(tmp_path)
    store.path("staged/").mkdir(parents=True)
    awkward = ["T\\1\x01", 'q "x" é\u2028', "\t=tab", None]
    staged = _stage(store, [
        ("run-a", 2, {"raw_row": "T\\1\x01,x,\u00e9", "failed": [1, 2], "values": [awkward[0], "x", awkward[1]]}),
        ("run-a", 5, {"raw_row": "a,b", "failed": [0], "values": None}),
        ("run-b", 3, {"raw_row": "=1+1,2,", "failed": [2], "values": [awkward[2], "2", awkward[3]]}),
        ("run-b", 4, None),
    ])
    stats = {"run-a": FileStats(), "run-b": FileStats()}
    files = {"run-a": "a file.csv", "run-b": "b.csv"}

    stage_rejects(store, [staged], stats, files, RejectReasons(RULES, COLUMNS, "transaction_id"), REJECTED_AT, "dq/")

    written = {(kind, run_id): store.read(key).decode() for key, kind, run_id in staged_reject_files(store, "dq/")}
    stamp = "2024-05-06T07:08:09.123456Z"
    expected_a = [
        {"source_file": "a file.csv", "line_number": 2, "raw_row": "T\\1\x01,x,\u00e9", "transaction_id": awkward[0],
         "reject_reason": [
             {"rule": "integer", "column": "quantity", "value": "x", "message": 'must be an "integer"'},
             {"rule": "pattern", "column": "transaction_id", "value": awkward[0], "message": "must match ^T\\d+$"}],
         "ingest_run_id": "run-a", "rejected_at": stamp},
        {"source_file": "a file.csv", "line_number": 5, "raw_row": "a,b", "transaction_id": None,
         "reject_reason": [{"rule": "malformed_row", "column": None, "value": None, "message": "wrong number of fields"}],
         "ingest_run_id": "run-a", "rejected_at": stamp},
    ]
    compact = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n" for record in expected_a]
    assert written["json", "run-a"] == "".join(compact)
    assert [row["transaction_id"] for row in read_rejects_csv(written["csv", "run-b"])] == ["\t=tab"]
    assert read_rejects_csv(written["csv", "run-a"]) == [
        {**{key: str(value) if value is not None else "" for key, value in record.items()},
         "reject_reason": json.dumps(record["reject_reason"], ensure_ascii=False, separators=(",", ":"))}
        for record in expected_a
    ]
    assert (stats["run-a"].rows_rejected, dict(stats["run-a"].rejects_by_rule)) == (
        2, {"integer": 1, "pattern": 1, "malformed_row": 1}
    )
    assert (stats["run-b"].rows_rejected, stats["run-b"].blank_lines) == (1, 1)
