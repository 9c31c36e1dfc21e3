"""validate_key / validate_pending / describe_in_place on a real lake directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.records import read_ingest_record
from retailctl.storage import LocalStore, read_json
from retailctl.validation import InvalidFile, describe_in_place, validate_key, validate_pending

HEADER = "transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method"
GOOD = (HEADER + "\nt-1,s1,p1,2,9.99,USD,2024-05-01T10:00:00Z,c1,card\n").encode()

ODD_NAMES = ["sales 2024 (copy) #2.csv", "ventes/été+März.csv", "deep/er/naïve résumé.csv"]


def put(store: LocalStore, name: str, data: bytes) -> str:
    store.write(layout.raw_key(name), data)
    return layout.raw_key(name)


def test_accepted_file_moves_with_its_validation_and_ingest_records(store: LocalStore, config: PipelineConfig) -> None:
    key = put(store, "good.csv", b"\xef\xbb\xbf" + GOOD.replace(b",", b";").replace(b"\n", b"\r\n"))
    outcome = validate_key(store, key, config, run_id="20240101T000000Z-0000abcd")
    assert outcome.accepted and outcome.destination_key == "validated/good.csv"
    assert not store.exists(key) and store.exists("validated/good.csv")
    record = read_json(store, layout.validation_record_key("good.csv"))
    assert record["ingest_run_id"] == "20240101T000000Z-0000abcd"
    assert (record["encoding"], record["bom"], record["delimiter"], record["line_terminator"]) == ("utf-8-sig", True, ";", "\r\n")
    assert record["column_positions"]["sold_at"] == 6
    assert record["header"][0] == "transaction_id"
    assert record["size"] == store.head("validated/good.csv").size
    assert set(record) >= {"file", "source_key", "validated_key", "quotechar", "extra_columns", "etag", "head_bytes_read", "validated_at"}
    ingest = read_ingest_record(store, outcome.ingest_run_id)
    assert ingest["outcome"] == "validated" and ingest["validation"]["detected"]["delimiter"] == ";"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        ((HEADER + "\n\n").encode(), "header_only"),
        (GOOD.replace(b"currency", b"ccy"), "missing_columns"),
        (bytes(range(256)) * 4, "binary_content"),
        (GOOD.decode().encode("utf-16"), "unsupported_encoding"),
        (GOOD.replace(b"c1", "Jos\u00e9".encode("latin-1")), "invalid_utf8"),
    ],
)
def test_rejected_file_moves_with_a_reason(store: LocalStore, config: PipelineConfig, data: bytes, code: str) -> None:
    key = put(store, "bad file.csv", data)
    outcome = validate_key(store, key, config)
    assert outcome.rejected and outcome.reason_code == code
    assert not store.exists(key) and store.read("rejected/system/bad file.csv") == data
    reason = read_json(store, layout.system_reason_key("bad file.csv"))
    assert reason["stage"] == "validation" and reason["reason_code"] == code
    assert reason["ingest_run_id"] == outcome.ingest_run_id and reason["size"] == len(data)
    assert reason["message"].startswith("raw/bad file.csv")
    assert read_ingest_record(store, outcome.ingest_run_id)["validation"]["reason_code"] == code


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_are_kept(store: LocalStore, config: PipelineConfig, name: str) -> None:
    outcome = validate_key(store, put(store, name, GOOD), config)
    assert outcome.accepted and store.exists(layout.validated_key(name))
    assert read_json(store, layout.validation_record_key(name))["file"] == name


def test_pending_validates_everything_in_raw(store: LocalStore, config: PipelineConfig) -> None:
    for name in ODD_NAMES:
        put(store, name, GOOD)
    put(store, "empty.csv", b"")
    outcomes = validate_pending(store, config)
    assert sorted(o.file for o in outcomes if o.accepted) == sorted(ODD_NAMES)
    assert [o.file for o in outcomes if o.rejected] == ["empty.csv"]
    assert list(store.list(layout.RAW)) == []
    assert len({o.ingest_run_id for o in outcomes}) == len(outcomes)


def test_pending_by_name(store: LocalStore, config: PipelineConfig) -> None:
    put(store, "a.csv", GOOD)
    put(store, "b.csv", GOOD)
    assert [o.file for o in validate_pending(store, config, ["b.csv"])] == ["b.csv"]
    assert store.exists("raw/a.csv")


def test_an_object_already_gone_is_a_no_op(store: LocalStore, config: PipelineConfig) -> None:
    key = put(store, "twice.csv", GOOD)
    assert validate_key(store, key, config).accepted
    again = validate_key(store, key, config)
    assert again.outcome == "already_handled" and not again.accepted
    assert list(store.list(layout.REJECTED_SYSTEM)) == []


def test_same_name_still_waiting_in_validated_is_not_overwritten(store: LocalStore, config: PipelineConfig) -> None:
    validate_key(store, put(store, "dup.csv", GOOD), config)
    newer = GOOD + b"t-9,s1,p1,1,1.00,USD,2024-05-02T10:00:00Z,,cash\n"
    outcome = validate_key(store, put(store, "dup.csv", newer), config)
    assert outcome.reason_code == "name_in_use"
    assert store.read("validated/dup.csv") == GOOD
    assert store.read("rejected/system/dup.csv") == newer


def test_a_resent_reject_keeps_the_earlier_one(store: LocalStore, config: PipelineConfig) -> None:
    first = validate_key(store, put(store, "r.csv", b""), config)
    validate_key(store, put(store, "r.csv", b"x"), config)
    assert store.exists(layout.system_reject_history_key("r.csv", first.ingest_run_id))


class FailingReads(LocalStore):
    """A lake whose disk fails on reads, to exercise the unexpected-error path."""

    def read_range(self, key: str, start: int, length: int) -> bytes:
        raise OSError("Input/output error")


def test_unexpected_error_rejects_as_unreadable_with_stacktrace(lake: Path, config: PipelineConfig) -> None:
    store = FailingReads(lake)
    key = put(store, "io.csv", GOOD)
    outcome = validate_key(store, key, config)
    assert outcome.reason_code == "unreadable" and not store.exists(key)
    reason = read_json(store, layout.system_reason_key("io.csv"))
    assert "OSError" in reason["stacktrace"] and reason["error_type"] == "OSError"
    assert "Input/output error" in reason["message"]


def test_200_mb_file_reads_only_the_head(tmp_path: Path, store: LocalStore, config: PipelineConfig) -> None:
    path = store.path(layout.raw_key("big.csv"))
    path.parent.mkdir(parents=True)
    row = b"t-1,s1,p1,2,9.99,USD,2024-05-01T10:00:00Z,c1,card\n"
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + b"\n" + row * 20_000)
        handle.truncate(200 * 1024 * 1024)
    outcome = validate_key(store, layout.raw_key("big.csv"), config)
    assert outcome.accepted
    assert 0 < store.bytes_read <= config.limits.validation_head_bytes
    assert read_json(store, layout.validation_record_key("big.csv"))["size"] == 200 * 1024 * 1024


def test_head_limit_is_configurable(store: LocalStore, config: PipelineConfig) -> None:
    from dataclasses import replace

    small = replace(config, limits=replace(config.limits, validation_head_bytes=1024))
    validate_key(store, put(store, "big.csv", GOOD * 100), small)
    assert store.bytes_read == 1024


def test_describe_in_place_reads_without_moving(store: LocalStore, config: PipelineConfig) -> None:
    store.write("validated/dropped.csv", GOOD.replace(b",", b"\t"))
    record = describe_in_place(store, "validated/dropped.csv", config, run_id="20240101T000000Z-0000abcd")
    assert record["delimiter"] == "\t" and record["validated_key"] == "validated/dropped.csv"
    assert record["ingest_run_id"] == "20240101T000000Z-0000abcd"
    assert store.exists("validated/dropped.csv")
    assert not store.exists(layout.validation_record_key("dropped.csv"))
    json.dumps(record)


def test_describe_in_place_raises_with_the_reason(store: LocalStore, config: PipelineConfig) -> None:
    store.write("validated/bad.csv", (HEADER + "\n").encode())
    with pytest.raises(InvalidFile) as caught:
        describe_in_place(store, "validated/bad.csv", config)
    assert caught.value.reason_code == "header_only" and caught.value.exit_code == 1
    assert store.exists("validated/bad.csv")
