"""retailctl's Java SQL functions against a plain Python reading of the same formats, value by value."""

from __future__ import annotations

import random
import re
from datetime import date
from typing import Any

import pytest

from retailctl.config import PipelineConfig
from retailctl.errors import EnvironmentProblem
from retailctl.jobs import sql_functions
from retailctl.jobs.silver_runner import run_silver
from retailctl.storage import LocalStore
from tests.silver.silver_files import HEADER, PutValidated, csv_line, row

pytestmark = pytest.mark.spark

SCALE = 2
WHOLE = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(rf"[+-]?([0-9]+(\.[0-9]{{0,{SCALE}}})?|\.[0-9]{{1,{SCALE}}})")
ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(Z|([+-])([0-9]{2})(?::?([0-9]{2}))?)?"
)
_DAYS_BEFORE_1970 = date(1970, 1, 1).toordinal()
_YEARS_400 = 146_097
"""Days in 400 Gregorian years, after which the calendar repeats: Python's dates start at year 1, ISO 8601's at 0."""


def iso_micros(text: str) -> int | None:
    """Microseconds since the epoch of an ISO 8601 text (UTC without a zone), as silver reads it."""
    match = ISO.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute = (int(part) for part in match.group(1, 2, 3, 4, 5))
    second = int(match[6] or 0)
    hours, minutes = int(match[10] or 0), int(match[11] or 0)
    if hour > 23 or minute > 59 or second > 59 or not ((hours < 18 and minutes < 60) or (hours, minutes) == (18, 0)):
        return None
    try:
        days = date(2000 + year % 400, month, day).toordinal() + (year // 400 - 5) * _YEARS_400 - _DAYS_BEFORE_1970
    except ValueError:
        return None
    offset = (-1 if match[9] == "-" else 1) * (hours * 60 + minutes) * 60
    fraction = int((match[7] or "")[:6].ljust(6, "0"))
    return (days * 86_400 + hour * 3_600 + minute * 60 + second - offset) * 1_000_000 + fraction


EDGE_CASES = [
    "", "+", "-", ".", "0", "+1", "-12", "007", "1.", ".5", "+.5", "-0.00", "1.255", "1.2.3", "1e3", " 1", "12\n", "\u0661",
    "2024-01-15T10:30:00Z", "2024-01-15 10:30", "2024-02-29T23:59:59.123456789+05:30", "2023-02-29T00:00",
    "1900-02-29T00:00", "2000-02-29T00:00", "0000-01-01T00:00", "9999-12-31T23:59:59.999999Z",
    "2024-04-31T00:00", "2024-13-01T00:00", "2024-00-10T00:00", "2024-01-01T24:00", "2024-01-01T00:60",
    "2024-01-01T00:00:60", "2024-01-01T00:00:00.", "2024-01-01T00:00:00.1234567890", "2024-01-01T00:00:00,5",
    "2024-01-01T00:00+05", "2024-01-01T00:00+0530", "2024-01-01T00:00-05:30", "2024-01-01T00:00+5",
    "2024-01-01T00:00+053", "2024-01-01T00:00+05:3", "2024-01-01T00:00+05:", "2024-01-01T00:00+05::30",
    "2024-01-01T00:00+18:00", "2024-01-01T00:00+18:01", "2024-01-01T00:00+17:59", "2024-01-01T00:00+00:60",
    "2024-01-01T00:00Z ", "2024-01-01T00:00ZZ", "2024-01-01t00:00", "2024-1-01T00:00", "2024-01-01T10:30\n",
    "\u0662024-01-01T00:00",
]


def generated(count: int, seed: int = 7) -> list[str]:
    """Date-times with every part in and just out of range, and edge cases with a character changed, added or dropped."""
    rnd = random.Random(seed)
    values = []
    for _ in range(count):
        text = f"{rnd.randint(0, 9999):04d}-{rnd.randint(0, 13):02d}-{rnd.randint(0, 32):02d}{rnd.choice('T ')}"
        text += f"{rnd.randint(0, 24):02d}:{rnd.randint(0, 60):02d}"
        if rnd.random() < 0.7:
            text += f":{rnd.randint(0, 60):02d}"
            if rnd.random() < 0.5:
                text += "." + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(0, 10)))
        zone = rnd.random()
        if zone < 0.2:
            text += "Z"
        elif zone < 0.7:
            text += rnd.choice("+-") + f"{rnd.randint(0, 19):02d}" + rnd.choice(["", ":"]) + (f"{rnd.randint(0, 61):02d}" if rnd.random() < 0.7 else "")
        values.append(text)
    for text in EDGE_CASES:
        for _ in range(40):
            chars = list(text)
            at = rnd.randrange(len(chars) + 1)
            change = rnd.random()
            if change < 0.4 and chars:
                chars[min(at, len(chars) - 1)] = rnd.choice("0123456789-:T Z+.")
            elif change < 0.7 or not chars:
                chars.insert(at, rnd.choice("0123456789-:T Z+."))
            else:
                del chars[min(at, len(chars) - 1)]
            values.append("".join(chars))
    return values


def test_every_text_reads_as_the_python_reference_reads_it(spark: Any) -> None:
    from pyspark.sql import functions as F

    texts = list(dict.fromkeys([*EDGE_CASES, *generated(3000)]))
    frame = spark.createDataFrame([(text,) for text in texts], "text string")
    rows = frame.select(
        "text",
        sql_functions.WHOLE_NUMBER(F.col("text")).alias("whole"),
        sql_functions.PLAIN_DECIMAL(F.col("text"), F.lit(SCALE)).alias("decimal"),
        sql_functions.ISO_TIMESTAMP_MICROS(F.col("text")).alias("micros"),
    ).collect()
    read = {row["text"]: (row["whole"], row["decimal"], row["micros"]) for row in rows}
    expected = {text: (bool(WHOLE.fullmatch(text)), bool(DECIMAL.fullmatch(text)), iso_micros(text)) for text in texts}
    assert read == expected
    assert sum(micros is not None for _, _, micros in expected.values()) > 1000, "the generated texts hold valid date-times"


def test_known_instants(spark: Any) -> None:
    from pyspark.sql import functions as F

    texts = ["1970-01-01T00:00Z", "2024-01-15T10:30:00+05:30", "0000-01-01T00:00", "2024-01-01T00:00:00.0000019-00:01"]
    frame = spark.createDataFrame([(text,) for text in texts], "text string")
    micros = [row[0] for row in frame.select(sql_functions.ISO_TIMESTAMP_MICROS(F.col("text"))).collect()]
    assert micros == [0, 1_705_294_800_000_000, -62_167_219_200_000_000, 1_704_067_260_000_001]


def test_nulls_stay_null(spark: Any) -> None:
    from pyspark.sql import functions as F

    row = spark.createDataFrame([(None,)], "text string").select(
        sql_functions.WHOLE_NUMBER(F.col("text")), sql_functions.PLAIN_DECIMAL(F.col("text"), F.lit(2)),
        sql_functions.ISO_TIMESTAMP_MICROS(F.col("text")),
    ).first()
    assert tuple(row) == (None, None, None)


def test_a_session_without_the_jar_is_told_where_to_get_it(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = sql_functions.SqlFunction("retailctl_missing", "retailctl.sql.NoSuchFunction", "boolean")
    monkeypatch.setattr(sql_functions, "FUNCTIONS", (missing,))
    with pytest.raises(EnvironmentProblem, match=r"--extra-jars"):
        sql_functions.register(spark)


def test_silver_registers_the_functions_it_needs(spark: Any, store: LocalStore, config: PipelineConfig, put_validated: PutValidated) -> None:
    for function in sql_functions.FUNCTIONS:
        spark.sql(f"DROP TEMPORARY FUNCTION IF EXISTS {function.name}")
    put_validated("day.csv", ("\n".join([csv_line(HEADER), row(transaction_id="T1", quantity="2", unit_price="1.50")]) + "\n").encode())

    result = run_silver(spark, store, config)

    assert [(f.file, f.outcome, f.rows_valid) for f in result.files] == [("day.csv", "archived", 1)]
