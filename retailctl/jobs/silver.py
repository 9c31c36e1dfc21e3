"""Silver transforms: raw text lines -> parsed records -> every rule checked -> typed rows or rejects.

Pure ``DataFrame -> DataFrame`` functions, generic over the dataset's columns; the runner
(:mod:`retailctl.jobs.silver_runner`) does the reading, writing and committing.

Design, chosen for speed (see the runner's docstring for what was measured):

- A batch of files is read once with ``spark.read.text`` (one row per physical line, its bytes as
  they are; :func:`records` decodes them, invalid UTF-8 becoming U+FFFD). Each line carries its
  position in its Spark partition (:func:`line_id`), so ``line_number = id + line_base`` of its
  block, with no sort. The bases come from counting on the driver, each block read as a partition
  of its own (:func:`number_blocks`), or, for many files or a large batch on S3, from a cheap first
  pass over the text that counts lines per ``(file, block)``, looked up in a small broadcast table of
  blocks (:func:`number_lines`).
- Quoted fields that span lines are found by quote parity: a line with an odd number of quotes opens
  or closes a multi-line record. Only those lines' ids are collected, the records' ranges computed
  on the driver (:func:`quoted_record_ranges`, bounded so a stray quote cannot swallow a file), and
  only the lines inside a range are grouped back into one record.
- A line without quotes is split on the delimiter; a line with quotes goes through ``from_csv``
  (RFC 4180: quoted delimiters, doubled quotes). A wrong number of fields becomes ``malformed_row``.
- Every rule is a column expression on the trimmed text, numbered by its place in
  :func:`dataset_rules`; a row keeps the numbers of all the rules it fails. A typed column's text is
  read by retailctl's own SQL functions (:mod:`retailctl.jobs.sql_functions`, which the runner registers on
  its session): small methods the JVM's optimizing compiler takes, where the fused per-row loop is too
  large for it and runs as C1 code. NULLs never pass a rule: a check is ``present AND ok IS NOT TRUE``.
  The reasons a reader sees (rule, column, value, message) are written from those numbers on the
  driver, for the rejects only (:class:`retailctl.jobs.silver_staged.RejectReasons`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as F

from retailctl.config import ColumnSpec, DatasetSpec
from retailctl.jobs import sql_functions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FILE_INDEX = "_file"
LINE = "_line"
TEXT = "_text"
RAW = "_raw"
BLANK = "_blank"
MALFORMED = "_malformed"
FAILED = "_failed"
VALUES = "_values"
FIELDS = "_fields"
PROFILE = "_profile"
OUTCOME = "_outcome"
NOT_VALID_OUTCOME = "__HIVE_DEFAULT_PARTITION__"
"""The ``_outcome`` directory of rejects and blank lines: where Spark writes rows whose partition value is NULL."""

MAX_QUOTED_LINES = 100
"""A quoted field may span at most this many lines; a longer span is a stray quote, not a record."""

REPLACEMENT_CHARACTER = "\ufffd"
NO_FAILURES = "[]"
_CORRUPT = "_corrupt"
_TRIM = " \t"
_WHITESPACE = " \t\n\x0b\f\r\x1a"
"""What ``\\s`` matches in Java, and Ctrl-Z (the end-of-file mark old DOS tools append): a line of only these is
blank."""


@dataclass(frozen=True)
class ParseProfile:
    """How the lines of a group of files split into fields: delimiter, quote, field count, positions."""

    delimiter: str
    quotechar: str
    field_count: int
    column_positions: tuple[tuple[str, int], ...]

    def position(self, column: str) -> int | None:
        return dict(self.column_positions).get(column)


@dataclass(frozen=True)
class Rule:
    """One rule of one column: its name, when it fails, and the sentence an analyst reads."""

    name: str
    column: str | None
    failed: Column
    message: str


def quote_count_is_odd(text: Column, quotechar: str = '"') -> Column:
    """True for a line with an odd number of quote characters (it opens or closes a multi-line field).

    Most lines hold no quote at all: a byte search rules them out before any counting.
    """
    odd = ((F.length(text) - F.length(F.replace(text, F.lit(quotechar), F.lit("")))) % 2) == 1
    return text.contains(quotechar) & odd


def quoted_record_ranges(odd_lines: Sequence[int], header_line: int = 1, max_lines: int = MAX_QUOTED_LINES) -> list[tuple[int, int]]:
    """Pair odd-quote lines into ``(first, last)`` line ranges of multi-line records.

    A line opens a record and the next odd line closes it. An opener whose partner is more than
    ``max_lines`` away (or missing) is a stray quote: it stays a single-line record and pairing
    restarts at the next odd line. No line up to the header (``header_line``) opens a record.
    """
    ranges: list[tuple[int, int]] = []
    pending = sorted(line for line in odd_lines if line > header_line)
    index = 0
    while index + 1 < len(pending):
        first, last = pending[index], pending[index + 1]
        if last - first < max_lines:
            ranges.append((first, last))
            index += 2
        else:
            index += 1
    return ranges


def line_id() -> Column:
    """The row's position in its Spark partition (``monotonically_increasing_id`` keeps it in the low 33 bits)."""
    return F.monotonically_increasing_id().bitwiseAND(F.lit((1 << 33) - 1))


def block_lines(text: DataFrame) -> DataFrame:
    """``spark.read.text`` -> lines ``(_path, _block, _id, value)``: each with its file, block start and :func:`line_id`."""
    return text.select(
        F.col("_metadata.file_path").alias("_path"),
        F.col("_metadata.file_block_start").alias("_block"),
        line_id().alias("_id"),
        F.col("value"),
    )


BLOCK_COLUMNS = "_path string, _block long, _file int, _base long"
"""The schema of :func:`number_lines`' block table."""


def number_lines(lines: DataFrame, blocks: DataFrame) -> DataFrame:
    """Lines ``(_path, _block, _id, value)`` -> ``(_file, _line, _text)``; ``_id`` is :func:`line_id`.

    ``blocks`` (:data:`BLOCK_COLUMNS`, a few rows a file) gives each ``(path, block start)`` its file's
    index and the number to add to a line's id. It is broadcast, so numbering is one hash lookup a line
    and no shuffle; a line of a block it lacks fails the job rather than lose its number.
    """
    numbered = lines.join(F.broadcast(blocks), ["_path", "_block"], "left")
    missing = F.raise_error(F.concat(F.lit("silver: no line numbers for the block at byte "),
                                     F.col("_block").cast("string"), F.lit(" of "), F.col("_path")))
    return numbered.select(
        F.col(FILE_INDEX), (F.col("_id") + F.coalesce(F.col("_base"), missing)).alias(LINE), F.col("value").alias(TEXT)
    )


def number_blocks(text: DataFrame, file_index: int, first_lines: Mapping[int, int]) -> DataFrame:
    """The lines of one file (``spark.read.text``, one block per partition) -> ``(_file, _line, _text)``.

    ``first_lines`` maps each block's start byte to the number of its first line (a literal map in
    the plan; a file of one block adds 1).
    """
    if set(first_lines) <= {0}:
        base = F.lit(1).cast("long")
    else:
        pairs = [F.lit(value).cast("long") for block, first in sorted(first_lines.items()) for value in (block, first)]
        base = F.create_map(*pairs)[F.col("_metadata.file_block_start")]
    return text.select(F.lit(file_index).alias(FILE_INDEX), (line_id() + base).alias(LINE), F.col("value").alias(TEXT))


RANGE_COLUMNS = "_file int, _first long, _last long"
"""The schema of :func:`stitch_quoted_records`' ranges."""


def stitch_quoted_records(numbered: DataFrame, ranges: DataFrame) -> DataFrame:
    """Join the lines of each multi-line record (``ranges``: :data:`RANGE_COLUMNS`) into one text.

    Lines outside every range pass through untouched; a record keeps the number of its first line.
    """
    members = ranges.select(
        FILE_INDEX, F.explode(F.sequence("_first", "_last")).alias(LINE), F.col("_first").alias("_record")
    )
    tagged = numbered.join(F.broadcast(members), [FILE_INDEX, LINE], "left")
    single = tagged.where(F.col("_record").isNull()).select(FILE_INDEX, LINE, TEXT)
    parts = F.array_sort(F.collect_list(F.struct(F.col(LINE), F.col(TEXT)))).alias("_parts")
    multi = (
        tagged.where(F.col("_record").isNotNull())
        .groupBy(FILE_INDEX, "_record")
        .agg(parts)
        .select(F.col(FILE_INDEX), F.col("_record").alias(LINE), F.concat_ws("\n", F.col(f"_parts.{TEXT}")).alias(TEXT))
    )
    return single.unionByName(multi)


def records(numbered: DataFrame, header_lines: Sequence[int], delimiters: str) -> DataFrame:
    """Drop each file's lines up to its header (file ``i``'s header is line ``header_lines[i]``), decode, strip
    the line terminator (the ``\\r`` of CRLF, or ``\\r\\r`` of a CRLF file converted twice), flag blank lines
    (they are not rows): a line of whitespace or of nothing but the batch's ``delimiters`` and whitespace (a
    spreadsheet's empty row, ``,,,,``), as the validator counts it.

    ``spark.read.text`` keeps a line's bytes as they are; decoding them turns invalid UTF-8 into
    U+FFFD (the ``invalid_utf8`` rule looks for it). String functions, not regular expressions:
    these run on every line.
    """
    decoded = F.decode(F.col(TEXT).cast("binary"), "UTF-8")
    raw = F.expr(
        f"CASE WHEN NOT endswith({RAW}, '\\r') THEN {RAW} WHEN endswith({RAW}, '\\r\\r') THEN substring({RAW}, 1, length({RAW}) - 2) "
        f"ELSE substring({RAW}, 1, length({RAW}) - 1) END"
    )
    return (
        numbered.where(F.col(LINE) > _per_file(header_lines))
        .withColumn(RAW, decoded)
        .drop(TEXT)
        .withColumn(RAW, raw)
        .withColumn(BLANK, _is_blank(F.col(RAW), _WHITESPACE + delimiters))
    )


def _per_file(values: Sequence[object]) -> Column:
    """File ``i``'s entry of ``values`` for each row, by ``_file`` (a literal when every file has the same)."""
    if len(set(values)) == 1:
        return F.lit(values[0])
    return F.array(*[F.lit(value) for value in values])[F.col(FILE_INDEX)]


def _is_blank(text: Column, empty: str) -> Column:
    """True for a line of nothing but the characters ``empty``. Most lines start with a letter or digit: only a
    line starting with one of them is trimmed (Spark's trim by a set of characters allocates per call)."""
    first = F.substring(text, 1, 1)
    return F.when(text == "", True).when(~first.isin(*empty), False).otherwise(F.btrim(text, F.lit(empty)) == "")


def parse_fields(df: DataFrame, profiles: Sequence[ParseProfile], dataset: DatasetSpec) -> DataFrame:
    """Split ``_raw`` into the dataset's columns (text) by each row's ``_profile``; flag ``_malformed``.

    Adds a struct column ``_fields`` with one string per dataset column (NULL when the file lacks the
    column; empty when the field is) and ``_malformed`` (the wrong number of fields). A line without
    the quote character is split on the delimiter; only a line with quotes goes through ``from_csv``
    (RFC 4180 quoting), which costs several times more per line. Each profile's split and parse get
    columns of their own first, so they run once per row, not once per field.
    """
    if not profiles:
        raise ValueError("parse_fields needs at least one parse profile")
    split = df
    for index, profile in enumerate(profiles):
        schema = ", ".join([*(f"_c{i} STRING" for i in range(profile.field_count)), f"{_CORRUPT} STRING"])
        options = {
            "sep": profile.delimiter,
            "quote": profile.quotechar,
            "escape": profile.quotechar,
            "mode": "PERMISSIVE",
            "columnNameOfCorruptRecord": _CORRUPT,
        }
        is_mine = (F.col(PROFILE) == index) & ~F.col(BLANK)
        quoted = F.col(RAW).contains(profile.quotechar)
        split = split.withColumn(f"_split{index}", F.when(is_mine & ~quoted, F.split(F.col(RAW), _split_regex(profile.delimiter), -1)))
        split = split.withColumn(f"_csv{index}", F.when(is_mine & quoted, F.from_csv(F.col(RAW), schema, options)))
    parsed: Column | None = None
    for index, profile in enumerate(profiles):
        parts, fields = F.col(f"_split{index}"), F.col(f"_csv{index}")
        values = []
        for column in dataset.columns:
            position = profile.position(column.name)
            if position is None:
                value = F.lit(None).cast("string")
            else:
                value = F.when(parts.isNotNull(), F.get(parts, position)).otherwise(fields[f"_c{position}"])
            values.append(value.alias(column.name))
        malformed = F.when(parts.isNotNull(), F.size(parts) != profile.field_count).otherwise(fields[_CORRUPT].isNotNull())
        shaped = F.struct(*values, malformed.alias(MALFORMED))
        condition = F.col(PROFILE) == index
        parsed = F.when(condition, shaped) if parsed is None else parsed.when(condition, shaped)
    assert parsed is not None
    with_fields = split.withColumn(FIELDS, F.when(~F.col(BLANK), parsed))
    return with_fields.withColumn(MALFORMED, F.coalesce(F.col(f"{FIELDS}.{MALFORMED}"), F.lit(False))).drop(
        *[f"_{kind}{index}" for kind in ("split", "csv") for index in range(len(profiles))]
    )


_REGEX_METACHARACTERS = ".$|()[{^?*+\\"


def _split_regex(delimiter: str) -> str:
    """A Java regular expression that matches ``delimiter`` literally, in the form ``String.split`` takes
    without compiling a pattern (one character, escaped if special): Spark splits each row with it, and a
    quoted ``\\Q...\\E`` pattern was compiled anew for every row (regular expressions: 13% -> 6% of a
    silver task's samples)."""
    if len(delimiter) == 1 and not delimiter.isalnum():
        return "\\" + delimiter if delimiter in _REGEX_METACHARACTERS else delimiter
    return "\\Q" + delimiter.replace("\\E", "\\E\\\\E\\Q") + "\\E"


def _trimmed_sql(column: str) -> str:
    """Spaces and tabs trimmed. A line without a tab takes Spark's plain trim (spaces only), which scans
    bytes; trimming a set of characters allocates per call (6% of a silver task). The line's tab test is
    the same expression for every column, so Spark evaluates it once per row."""
    field = f"{FIELDS}.`{column}`"
    return f"nullif(CASE WHEN contains({RAW}, '\\t') THEN trim(BOTH '{_TRIM}' FROM {field}) ELSE trim({field}) END, '')"


def trimmed(column: str) -> Column:
    """The text of a column without surrounding spaces and tabs; NULL when blank."""
    return F.expr(_trimmed_sql(column))


def text_column(column: str) -> str:
    """The name of the column holding a dataset column's trimmed text while rows are classified."""
    return f"_text_{column}"


def typed(spec: ColumnSpec) -> Column:
    """The stored value of a column: its trimmed text read strictly as the column's type (NULL if invalid).

    The text's form is checked first, character by character (:mod:`retailctl.jobs.sql_functions`: Spark casts
    ``'2.5'`` to the int 2), then ``try_cast`` turns overflow into NULL, with or without ANSI mode. A timestamp is
    read whole by :data:`~retailctl.jobs.sql_functions.ISO_TIMESTAMP_MICROS`, its zone included: Spark's cast
    compiles two regular expressions for every value with a zone. Regular expressions and casts ran inside the
    fused per-row loop, which runs as C1 code; the functions are small methods C2 compiles (main pass on 5M
    rows, warm: 9.6-9.8 -> 6.7-6.9 s).
    Reads the column's trimmed text from :func:`text_column`.
    """
    text_sql = f"`{text_column(spec.name)}`"
    text = F.col(text_column(spec.name))
    if spec.type == "integer":
        return F.when(sql_functions.WHOLE_NUMBER(text), F.expr(f"try_cast({text_sql} AS int)"))
    if spec.type == "decimal":
        return F.when(sql_functions.PLAIN_DECIMAL(text, F.lit(spec.scale)), F.expr(f"try_cast({text_sql} AS {spec.spark_type})"))
    if spec.type == "timestamp":
        return F.timestamp_micros(sql_functions.ISO_TIMESTAMP_MICROS(text))
    if spec.normalize == "lower":
        return F.lower(text)
    if spec.normalize == "upper":
        return F.upper(text)
    return text


def column_rules(spec: ColumnSpec) -> list[Rule]:
    """Every rule of one column as a NULL-safe failure condition on its trimmed text and typed value."""
    text = F.col(text_column(spec.name))
    present = text.isNotNull()
    value = F.col(spec.name)

    def failed(ok: Column) -> Column:
        return present & _not_true(ok)

    rules: list[Rule] = []
    if spec.required:
        rules.append(Rule("required", spec.name, ~present, f"{spec.name} is required and is missing or blank"))
    if spec.max_length is not None:
        rules.append(
            Rule("max_length", spec.name, failed(F.length(text) <= spec.max_length),
                 f"{spec.name} is longer than {spec.max_length} characters")
        )
    if spec.pattern is not None:
        rules.append(Rule("pattern", spec.name, failed(text.rlike(spec.pattern)), f"{spec.name} does not match {spec.pattern}"))
    if spec.type == "integer":
        rules.append(Rule("integer", spec.name, failed(value.isNotNull()), f"{spec.name} is not a whole number that fits an int"))
    elif spec.type == "decimal":
        rules.append(
            Rule("decimal", spec.name, failed(value.isNotNull()),
                 f"{spec.name} is not a plain decimal with at most {spec.scale} decimal places that fits {spec.spark_type}")
        )
    elif spec.type == "timestamp":
        rules.append(
            Rule("timestamp", spec.name, failed(value.isNotNull()),
                 f"{spec.name} is not a valid ISO 8601 timestamp (YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH:MM])")
        )
    if spec.type in ("integer", "decimal"):
        if spec.exclusive_min is not None:
            rules.append(
                Rule("exclusive_min", spec.name, value.isNotNull() & _not_true(value > spec.exclusive_min),
                     f"{spec.name} must be greater than {_number(spec.exclusive_min)}")
            )
        if spec.min is not None:
            rules.append(
                Rule("min", spec.name, value.isNotNull() & _not_true(value >= spec.min),
                     f"{spec.name} must be at least {_number(spec.min)}")
            )
    if spec.allowed:
        if spec.case_insensitive:
            ok = F.upper(text).isin([v.upper() for v in spec.allowed])
        else:
            ok = text.isin(list(spec.allowed))
        rules.append(Rule("allowed", spec.name, failed(ok), f"{spec.name} must be one of {', '.join(spec.allowed)}"))
    return rules


def _not_true(ok: Column) -> Column:
    """True unless ``ok`` is true: a NULL never passes."""
    return ~ok.eqNullSafe(True)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_BACKSLASH = "char(92)"
_QUOTE = "char(34)"


def _json_text_sql(column: str) -> str:
    """SQL for a column's text as a JSON string (``null`` when NULL), with string functions Spark compiles.

    Only quotes and backslashes are escaped: control characters stay as they are, so read the result
    with ``json.loads(text, strict=False)``. SQL text rather than column functions: each of those is a
    few calls from Python to the JVM, which added up to most of a second of a silver run's start.
    """
    escaped = f"replace(replace(`{column}`, {_BACKSLASH}, repeat({_BACKSLASH}, 2)), {_QUOTE}, concat({_BACKSLASH}, {_QUOTE}))"
    return f"CASE WHEN `{column}` IS NULL THEN 'null' ELSE concat({_QUOTE}, {escaped}, {_QUOTE}) END"


def dataset_rules(dataset: DatasetSpec) -> list[Rule]:
    """Every rule a record is checked against, in the order :func:`check_rules` numbers them.

    ``invalid_utf8`` (a U+FFFD in the line) and ``malformed_row`` (wrong field count) are row rules;
    a malformed row is not checked column by column, as its fields are misaligned.
    """
    row_rules = [
        Rule("invalid_utf8", None, F.col(RAW).contains(REPLACEMENT_CHARACTER), "the row has bytes that are not valid UTF-8"),
        Rule("malformed_row", None, F.col(MALFORMED),
             f"the row does not have the {len(dataset.columns)}-column layout of the file's header"),
    ]
    well_formed = ~F.col(MALFORMED)
    field_rules = [
        Rule(rule.name, rule.column, well_formed & rule.failed, rule.message)
        for spec in dataset.columns
        for rule in column_rules(spec)
    ]
    return [*row_rules, *field_rules]


def check_rules(df: DataFrame, rules: Sequence[Rule]) -> DataFrame:
    """Add ``_failed``: the numbers of the ``rules`` the row fails as a JSON array (``[]`` when valid), NULL
    for blank lines.

    Expects each column's trimmed text (:func:`text_column`) and typed value (its own name). Numbers, not
    the reasons themselves: the reasons' text is written for the rejects alone, a few percent of the rows,
    and this expression stays small enough that Spark builds, compiles and runs it quickly.
    """
    any_failed = reduce(lambda left, right: left | right, [rule.failed for rule in rules])
    numbers = F.concat_ws(",", *[F.when(rule.failed, str(number)) for number, rule in enumerate(rules)])
    failed = F.when(any_failed, F.concat(F.lit("["), numbers, F.lit("]"))).otherwise(NO_FAILURES)
    return df.withColumn(FAILED, F.when(~F.col(BLANK), failed))


def label_files(df: DataFrame, run_ids: Sequence[str], names: Sequence[str], profiles: Sequence[int]) -> DataFrame:
    """Give each row its file's ``ingest_run_id``, ``source_file`` and parse profile, by ``_file`` index."""
    return (
        df.withColumn("ingest_run_id", _per_file(run_ids))
        .withColumn("source_file", _per_file(names))
        .withColumn(PROFILE, _per_file(profiles))
    )


def classify(df: DataFrame, dataset: DatasetSpec, rules: Sequence[Rule]) -> DataFrame:
    """Typed dataset columns and ``_failed`` (:func:`check_rules`) for every record; for rejects only, ``_raw``
    and, unless the row is malformed, ``_values``: the trimmed text of every dataset column as a JSON array.

    The runner stages it with :func:`staged_rows`.
    """
    kept = [FILE_INDEX, LINE, BLANK, "ingest_run_id", "source_file", RAW, MALFORMED]
    texts = df.select(*kept, *[trimmed(spec.name).alias(text_column(spec.name)) for spec in dataset.columns])
    typed_values = texts.select(*texts.columns, *[typed(spec).alias(spec.name) for spec in dataset.columns])
    checked = check_rules(typed_values, rules)
    is_reject = F.col(FAILED) != NO_FAILURES
    values = F.expr(f"concat('[', concat_ws(',', {', '.join(_json_text_sql(text_column(spec.name)) for spec in dataset.columns)}), ']')")
    return checked.select(
        FILE_INDEX, LINE, BLANK, "ingest_run_id", "source_file",
        *[F.col(spec.name) for spec in dataset.columns],
        FAILED,
        F.when(is_reject, F.col(RAW)).alias(RAW),
        F.when(is_reject & ~F.col(MALFORMED), values).alias(VALUES),
    )


def staged_rows(classified: DataFrame, dataset: DatasetSpec, ingested_at: datetime) -> DataFrame:
    """Every record in the silver schema plus ``_outcome``, so one write stages valid rows and rejects.

    ``_outcome`` is the UTC date of a valid row (never NULL: the partition column is required), NULL for
    a reject or a blank line (see :data:`NOT_VALID_OUTCOME`). A date, not its text: the write sorts by
    it, and a date sorts by its 4-byte day number where a text compares whole strings within a month
    (``2024-01-``); silver on 5M rows: 78-88 -> 76-79 CPU s. A reject is staged in the same schema: its
    line in ``source_line`` and, in ``source_file``, a JSON document of its raw text, failed rules and
    field texts (its file is known from its run id; see :class:`retailctl.jobs.silver_staged.RejectReasons`);
    a blank line's is NULL.
    """
    is_valid = F.col(FAILED) == NO_FAILURES
    outcome = F.when(is_valid, F.to_date(F.col(dataset.partition_column)))
    detail = F.expr(
        f"""concat('{{"raw_row":', {_json_text_sql(RAW)}, ',"failed":', {FAILED}, ',"values":', coalesce({VALUES}, 'null'), '}}')"""
    )
    return classified.select(
        *[F.col(spec.name).cast(spec.spark_type) for spec in dataset.columns],
        "ingest_run_id",
        F.when(is_valid, F.col("source_file")).when(~F.col(BLANK), detail).alias("source_file"),
        F.col(LINE).cast("long").alias("source_line"),
        F.lit(ingested_at).cast("timestamp").alias("ingested_at"),
        outcome.alias(OUTCOME),
    )

