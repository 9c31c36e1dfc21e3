"""Every row rule of the default dataset, on small inline rows run through the pure transforms."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from retailctl.config import load_dataset
from retailctl.errors import InvariantBroken
from retailctl.jobs import silver
from retailctl.jobs.silver import ParseProfile, quoted_record_ranges
from retailctl.jobs.silver_staged import RejectReasons
from tests.silver.silver_files import HEADER, row

pytestmark = pytest.mark.spark

DATASET = load_dataset("fact_sales", None)

CASES: dict[str, list[tuple[str, set[tuple[str, str | None]]]]] = {
    "valid": [
        (row(), set()),
        (row(quantity="+3", unit_price=".5", customer_id=""), set()),
        (row(payment_method=" CARD ", store_id="  S9 "), set()),
        (row(transaction_id="A" * 64), set()),
        (row(payment_method="\tcard \t", store_id=" \t S9\t"), set()),
        (" " + row(transaction_id="T7"), set()),
    ],
    "required": [
        (row(transaction_id=""), {("required", "transaction_id")}),
        (row(store_id="   "), {("required", "store_id")}),
        (row(quantity=""), {("required", "quantity")}),
        (row(currency="", sold_at=""), {("required", "currency"), ("required", "sold_at")}),
    ],
    "max_length": [(row(transaction_id="A" * 65), {("max_length", "transaction_id")})],
    "pattern": [
        (row(transaction_id="T 1"), {("pattern", "transaction_id")}),
        (row(transaction_id="T#1"), {("pattern", "transaction_id")}),
    ],
    "integer": [
        (row(quantity=value), {("integer", "quantity")}) for value in ("2.5", "1e3", " 3x", "99999999999", "two", "1\x012.00")
    ],
    "exclusive_min": [
        (row(quantity="0"), {("exclusive_min", "quantity")}),
        (row(quantity="-4"), {("exclusive_min", "quantity")}),
    ],
    "min": [(row(unit_price="-0.01"), {("min", "unit_price")})],
    "decimal": [
        (row(unit_price=value), {("decimal", "unit_price")})
        for value in ("1.001", "1e2", "1,50", "abc", "12345678901.00", "NaN", "--1")
    ],
    "allowed": [
        (row(currency="usd"), {("allowed", "currency")}),
        (row(currency="XYZ"), {("allowed", "currency")}),
        (row(payment_method="bitcoin"), {("allowed", "payment_method")}),
    ],
    "timestamp": [
        (row(sold_at=value), {("timestamp", "sold_at")})
        for value in ("2024-02-30T10:00:00", "garbage", "2024-01-01", "2024-01-01T25:00:00", "01/02/2024 10:00", "2024-13-01 10:00:00",
                      "2024-01-01T10:00:00+19:00", "2024-01-01T10:00:00+05:60", "2024-01-01T10:00:00-1801", "2024-02-30T10:00Z",
                      "2024-01-01T10:00:00+18:01", "2024-01-01T10:00:00+5", "2024-01-01T10:00:00Z+01")
    ],
    "several": [
        (row(quantity="x", currency="usd", sold_at="never"),
         {("integer", "quantity"), ("allowed", "currency"), ("timestamp", "sold_at")}),
    ],
    "malformed_row": [
        ("T9,S1,P1", {("malformed_row", None)}),
        (row() + ",extra", {("malformed_row", None)}),
    ],
    "invalid_utf8": [(row(store_id="S\ufffd1"), {("invalid_utf8", None)})],
}
LINES = [(name, index, text) for name, cases in CASES.items() for index, (text, _) in enumerate(cases)]
BLANK_LINES = ["", "   ", "\r", "\t \t", " \x0b\f ", "\x1a", "\x1a\r", ",,,,,,,,", ", ,\t,", ",,,\r"]


@pytest.fixture(scope="module")
def classified(spark: Any) -> dict[int, Any]:
    """Every case line classified in one Spark job, by line number."""
    texts = [text for _, _, text in LINES] + BLANK_LINES
    lines = spark.createDataFrame([(0, number + 2, text) for number, text in enumerate(texts)], "_file int, _line long, _text string")
    profile = ParseProfile(",", '"', len(HEADER), tuple(sorted((column, i) for i, column in enumerate(HEADER))))
    labelled = silver.label_files(silver.records(lines, [1], ","), ["run-1"], ["f.csv"], [0])
    parsed = silver.parse_fields(labelled, [profile], DATASET)
    rules = silver.dataset_rules(DATASET)
    return {record[silver.LINE]: record for record in silver.classify(parsed, DATASET, rules).collect()}


def _outcome(classified: dict[int, Any], rule: str, index: int) -> tuple[Any, set[tuple[str, str | None]]]:
    number = LINES.index((rule, index, CASES[rule][index][0])) + 2
    record = classified[number]
    return record, {(reason["rule"], reason["column"]) for reason in reasons_of(record)}


def reasons_of(record: Any) -> list[dict[str, Any]]:
    """The reasons a reader sees for a classified record, as the runner writes them from its staged detail."""
    staged = f'{{"raw_row":null,"failed":{record[silver.FAILED]},"values":{record[silver.VALUES] or "null"}}}'
    reasons: list[dict[str, Any]] = json.loads(_reject_reasons().detail(staged).reasons_json)
    return reasons


@cache
def _reject_reasons() -> RejectReasons:
    """Built once: the rules are column expressions, each a few calls to the session's JVM."""
    return RejectReasons(silver.dataset_rules(DATASET), [spec.name for spec in DATASET.columns], DATASET.dedup_key)


def _check(classified: dict[int, Any], rule: str) -> None:
    for index, (text, expected) in enumerate(CASES[rule]):
        _, reasons = _outcome(classified, rule, index)
        assert reasons == expected, f"{rule} case {text!r}"


def test_valid_rows_pass_and_are_typed(classified: dict[int, Any]) -> None:
    _check(classified, "valid")
    first, _ = _outcome(classified, "valid", 0)
    assert (first["quantity"], first["unit_price"], first["sold_at"]) == (2, Decimal("3.50"), datetime(2024, 3, 1, 10))
    second, _ = _outcome(classified, "valid", 1)
    assert (second["quantity"], second["unit_price"], second["customer_id"]) == (3, Decimal("0.50"), None)
    third, _ = _outcome(classified, "valid", 2)
    assert (third["payment_method"], third["store_id"]) == ("card", "S9")
    tabs, _ = _outcome(classified, "valid", 4)
    assert (tabs["payment_method"], tabs["store_id"]) == ("card", "S9")
    indented, _ = _outcome(classified, "valid", 5)
    assert (indented["transaction_id"], indented[silver.BLANK]) == ("T7", False)


@pytest.mark.parametrize("rule", ["required", "max_length", "pattern", "integer", "exclusive_min", "min", "decimal",
                                  "allowed", "timestamp", "malformed_row", "invalid_utf8"])
def test_rule(classified: dict[int, Any], rule: str) -> None:
    _check(classified, rule)


def test_every_failed_rule_is_kept_with_its_value(classified: dict[int, Any]) -> None:
    _check(classified, "several")
    record, _ = _outcome(classified, "several", 0)
    assert {r["column"]: r["value"] for r in reasons_of(record)} == {"quantity": "x", "currency": "usd", "sold_at": "never"}
    assert all(r["message"] for r in reasons_of(record))


def test_missing_value_fails_required_only_never_slips_through(classified: dict[int, Any]) -> None:
    record, reasons = _outcome(classified, "required", 2)
    assert reasons == {("required", "quantity")} and record["quantity"] is None


def test_rejects_keep_raw_text_and_field_texts(classified: dict[int, Any]) -> None:
    malformed, _ = _outcome(classified, "malformed_row", 0)
    assert (malformed[silver.RAW], malformed[silver.VALUES]) == ("T9,S1,P1", None)
    invalid, _ = _outcome(classified, "invalid_utf8", 0)
    assert json.loads(invalid[silver.VALUES])[:2] == ["T1", "S\ufffd1"]
    assert [reason["value"] for reason in reasons_of(invalid)] == [None]
    valid, _ = _outcome(classified, "valid", 0)
    assert (valid[silver.FAILED], valid[silver.RAW], valid[silver.VALUES]) == (silver.NO_FAILURES, None, None)


def test_a_staged_detail_reads_back_as_raw_text_key_and_reasons(spark: Any) -> None:
    reasons = _reject_reasons()
    numbers = [next(i for i, rule in enumerate(reasons.rules) if (rule.name, rule.column) == pair)
               for pair in [("invalid_utf8", None), ("integer", "quantity")]]
    values = ["T1", "S1", "P1", "x\"", "3.50", "USD", "card", "2024-03-01T10:00:00", None]
    detail = reasons.detail(json.dumps({"raw_row": "raw\x01", "failed": numbers, "values": values}))
    assert (detail.raw_row, detail.key, detail.rules) == ("raw\x01", "T1", {"invalid_utf8", "integer"})
    assert [(r["rule"], r["column"], r["value"]) for r in json.loads(detail.reasons_json)] == [
        ("invalid_utf8", None, None), ("integer", "quantity", 'x"')
    ]
    malformed = reasons.detail(json.dumps({"raw_row": "a,b", "failed": [1], "values": None}))
    assert malformed.key is None and [r["rule"] for r in json.loads(malformed.reasons_json)] == ["malformed_row"]
    with pytest.raises(InvariantBroken, match="do not match the columns"):
        reasons.detail(json.dumps({"raw_row": "a,b", "failed": [1], "values": ["T1"]}))


def test_blank_lines_are_not_rows(classified: dict[int, Any]) -> None:
    blanks = [record for number, record in classified.items() if number >= len(LINES) + 2]
    assert len(blanks) == len(BLANK_LINES)
    assert all(record[silver.BLANK] and record[silver.FAILED] is None for record in blanks)


def test_timestamps_with_offsets_are_stored_in_utc(spark: Any) -> None:
    values = {
        "2024-01-01T23:30:00-05:00": datetime(2024, 1, 2, 4, 30),
        "2024-01-01T00:15:00+01:00": datetime(2023, 12, 31, 23, 15),
        "2024-01-01 10:00:00.123Z": datetime(2024, 1, 1, 10, 0, 0, 123000),
        "2024-01-01T10:00:00+0200": datetime(2024, 1, 1, 8),
        "2024-01-01T10:00:00+02": datetime(2024, 1, 1, 8),
        "2024-01-01T10:00:00.5-0530": datetime(2024, 1, 1, 15, 30, 0, 500000),
        "2024-01-01T10:00-05": datetime(2024, 1, 1, 15),
        "2024-01-01T10:00Z": datetime(2024, 1, 1, 10),
        "2024-01-01 10:00+01:00": datetime(2024, 1, 1, 9),
        "2024-01-01T02:00:00+18:00": datetime(2023, 12, 31, 8),
        "2024-12-31T23:59:59.999999-00:30": datetime(2025, 1, 1, 0, 29, 59, 999999),
        "2024-01-01T10:00": datetime(2024, 1, 1, 10),
        "2024-02-29T23:00:00.123456789-01:30": datetime(2024, 3, 1, 0, 30, 0, 123456),
        "2024-03-01T00:10:00+0020": datetime(2024, 2, 29, 23, 50),
    }
    lines = spark.createDataFrame(
        [(0, i + 2, row(sold_at=value)) for i, value in enumerate(values)], "_file int, _line long, _text string"
    )
    profile = ParseProfile(",", '"', len(HEADER), tuple(sorted((column, i) for i, column in enumerate(HEADER))))
    parsed = silver.parse_fields(silver.label_files(silver.records(lines, [1], ","), ["r"], ["f"], [0]), [profile], DATASET)
    stored = sorted(silver.classify(parsed, DATASET, silver.dataset_rules(DATASET)).collect(), key=lambda r: r[silver.LINE])
    assert [r["sold_at"] for r in stored] == list(values.values())
    assert all(reasons_of(r) == [] for r in stored)


def test_quoted_record_ranges_pair_odd_lines_and_ignore_stray_quotes() -> None:
    assert quoted_record_ranges([3, 5, 8, 9]) == [(3, 5), (8, 9)]
    assert quoted_record_ranges([1, 4, 6]) == [(4, 6)]
    assert quoted_record_ranges([2, 500, 501], max_lines=100) == [(500, 501)]
    assert quoted_record_ranges([2, 3, 5], header_line=2) == [(3, 5)]
    assert quoted_record_ranges([7]) == []


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_lines_without_quotes_split_exactly_as_from_csv_parses_them(spark: Any, delimiter: str) -> None:
    """The split fast path and RFC 4180 parsing agree on every quote-free line: fields, blanks, ragged rows."""
    import random

    from pyspark.sql import functions as F

    pieces = ["", " ", "\t", "a", "S1", " b ", "ü", "日本", "x y", "\\", "'", "=1+1", ";", "|", "\u2028"]
    generator = random.Random(6)
    lines = [
        delimiter.join(generator.choice(pieces) for _ in range(generator.choice([1, 3, 8, 9, 9, 9, 10, 12])))
        for _ in range(400)
    ] + [delimiter * 8, delimiter * 9, delimiter.join("abcdefghi") + delimiter, delimiter.join("abcdefghi")]
    frame = spark.createDataFrame([(0, i + 2, text) for i, text in enumerate(lines)], "_file int, _line long, _text string")
    profile = ParseProfile(delimiter, '"', len(HEADER), tuple(sorted((column, i) for i, column in enumerate(HEADER))))
    schema = ", ".join([*(f"_c{i} STRING" for i in range(len(HEADER))), "_corrupt STRING"])
    options = {"sep": delimiter, "quote": '"', "escape": '"', "mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"}
    labelled = silver.label_files(silver.records(frame, [1], ","), ["r"], ["f"], [0])
    parsed = silver.parse_fields(labelled, [profile], DATASET).withColumn("_csv", F.from_csv(F.col(silver.RAW), schema, options))

    records = [record for record in parsed.collect() if not record[silver.BLANK]]
    assert len(records) > 300
    for record in records:
        csv = record["_csv"]
        assert record[silver.MALFORMED] == (csv["_corrupt"] is not None), record[silver.RAW]
        if record[silver.MALFORMED]:
            continue
        for position, column in enumerate(HEADER):
            split_value, csv_value = record[silver.FIELDS][column], csv[f"_c{position}"]
            assert (split_value or None) == csv_value, (record[silver.RAW], column)


def test_lines_are_numbered_from_the_table_of_blocks_and_a_block_missing_from_it_fails(spark: Any) -> None:
    lines = spark.createDataFrame(
        [("file:/a.csv", 0, 0, "h"), ("file:/a.csv", 0, 1, "x"), ("file:/b.csv", 1024, 0, "y")], "_path string, _block long, _id long, value string"
    )
    blocks = spark.createDataFrame([("file:/a.csv", 0, 0, 1), ("file:/b.csv", 1024, 1, 40)], silver.BLOCK_COLUMNS)

    numbered = silver.number_lines(lines, blocks).collect()

    assert sorted((r[silver.FILE_INDEX], r[silver.LINE], r[silver.TEXT]) for r in numbered) == [(0, 1, "h"), (0, 2, "x"), (1, 40, "y")]
    with pytest.raises(Exception, match=r"no line numbers for the block at byte 1024 of file:/b\.csv"):
        silver.number_lines(lines, blocks.where("_file = 0")).collect()
