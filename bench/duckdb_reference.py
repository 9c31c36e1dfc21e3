"""A reference implementation of the silver and gold semantics in DuckDB, for counts and speed ratios.

The row rules are read from the same dataset YAML the pipeline uses (:class:`DatasetSpec`), so the two
implementations can only disagree when one of them has a bug. Silver: every row of every file is read
as text; a row with the wrong number of fields, or failing any column rule, is rejected (counted);
valid rows are typed and written as parquet partitioned by the UTC date of the partition column. Gold:
one row per dedup key (the latest ingest wins), derived columns added, partitioned by date.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retailctl.config import ColumnSpec, DatasetSpec


@dataclass(frozen=True)
class SourceFile:
    """One CSV file fed to the reference silver, as the validator detected it."""

    path: Path
    delimiter: str = ","
    ingest_run_id: str = ""


@dataclass
class SilverCounts:
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB in UTC (reject tables are per connection)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def silver(files: Sequence[SourceFile], out_dir: Path, dataset: DatasetSpec) -> SilverCounts:
    """Validate and type every row of ``files``; valid rows to ``out_dir`` partitioned by date."""
    con = connect()
    shutil.rmtree(out_dir, ignore_errors=True)
    ingested_at = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "CREATE TEMP TABLE runs (path VARCHAR, ingest_run_id VARCHAR, ingested_at TIMESTAMP)",
    )
    con.executemany(
        "INSERT INTO runs VALUES (?, ?, ?)",
        [(str(f.path), f.ingest_run_id or f.path.name, ingested_at) for f in files],
    )
    scans = " UNION ALL BY NAME ".join(_scan(group, delimiter) for delimiter, group in _groups(files))
    con.execute(f"CREATE TEMP VIEW raw_rows AS {scans}")
    failed = " OR ".join(f"({_fails(column)})" for column in dataset.columns)
    con.execute(f"CREATE TEMP TABLE checked AS SELECT *, ({failed}) AS rejected FROM raw_rows")
    typed = ", ".join(_typed(column) for column in dataset.columns)
    partition = _utc(dataset.partition_column)
    out_dir.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (
            SELECT {typed}, r.ingest_run_id, c.filename AS source_file, r.ingested_at,
                   CAST({partition} AS DATE) AS "{dataset.partition_name}"
            FROM checked c JOIN runs r ON r.path = c.filename
            WHERE NOT c.rejected
        ) TO '{_sql_text(str(out_dir))}' (FORMAT parquet, PARTITION_BY ("{dataset.partition_name}"))"""
    )
    counts = SilverCounts()
    per_file = con.execute(
        "SELECT filename, count(*) FILTER (WHERE NOT rejected), count(*) FILTER (WHERE rejected) "
        "FROM checked GROUP BY filename"
    ).fetchall()
    ragged = dict(
        con.execute(
            "SELECT s.file_path, count(DISTINCT e.line) FROM reject_errors e "
            "JOIN reject_scans s USING (scan_id, file_id) GROUP BY s.file_path"
        ).fetchall()
    )
    for filename, valid, rejected in per_file:
        rejected += ragged.pop(filename, 0)
        counts.per_file[filename] = {"rows_read": valid + rejected, "rows_valid": valid, "rows_rejected": rejected}
    for filename, rejected in ragged.items():
        counts.per_file[filename] = {"rows_read": rejected, "rows_valid": 0, "rows_rejected": rejected}
    for entry in counts.per_file.values():
        counts.rows_read += entry["rows_read"]
        counts.rows_valid += entry["rows_valid"]
        counts.rows_rejected += entry["rows_rejected"]
    con.close()
    return counts


def gold(silver_dir: Path, out_dir: Path, dataset: DatasetSpec) -> int:
    """One row per dedup key from ``silver_dir`` (latest ingest wins), derived columns added; rows written."""
    con = connect()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = f'"{dataset.dedup_key}"'
    derived = "".join(f', {expression} AS "{name}"' for name, expression in dataset.derived)
    tie_break = ", ".join(f'"{c.name}"' for c in dataset.columns if c.name != dataset.dedup_key)
    source = f"read_parquet('{_sql_text(str(silver_dir))}/**/*.parquet', hive_partitioning = true)"
    con.execute(
        f"""CREATE TEMP TABLE latest AS
            SELECT * EXCLUDE (winner){derived} FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY {key} ORDER BY ingested_at DESC, ingest_run_id DESC, {tie_break}
                ) AS winner
                FROM {source}
            ) WHERE winner = 1"""
    )
    con.execute(
        f"COPY latest TO '{_sql_text(str(out_dir))}' (FORMAT parquet, PARTITION_BY (\"{dataset.partition_name}\"))"
    )
    row = con.execute("SELECT count(*) FROM latest").fetchone()
    con.close()
    return int(row[0]) if row else 0


def count_parquet_rows(directory: Path) -> dict[str, int]:
    """Rows and files of a parquet tree: ``{"rows": n, "files": k}``."""
    files = list(directory.rglob("*.parquet")) if directory.is_dir() else []
    if not files:
        return {"rows": 0, "files": 0}
    con = connect()
    row = con.execute(
        f"SELECT count(*) FROM read_parquet('{_sql_text(str(directory))}/**/*.parquet', hive_partitioning = false)"
    ).fetchone()
    con.close()
    return {"rows": int(row[0]) if row else 0, "files": len(files)}


def distinct_keys(directory: Path, key: str) -> int:
    """Distinct values of ``key`` in a parquet tree (gold must have exactly one row per key)."""
    con = connect()
    row = con.execute(
        f"SELECT count(DISTINCT \"{key}\") FROM read_parquet('{_sql_text(str(directory))}/**/*.parquet')"
    ).fetchone()
    con.close()
    return int(row[0]) if row else 0


def _groups(files: Sequence[SourceFile]) -> list[tuple[str, list[SourceFile]]]:
    """Files per (delimiter, header line): one DuckDB scan each, since a scan takes one column order."""
    groups: dict[tuple[str, str], list[SourceFile]] = {}
    for source in files:
        with source.path.open(encoding="utf-8-sig") as handle:
            header = handle.readline().rstrip("\r\n")
        groups.setdefault((source.delimiter, header), []).append(source)
    return [(delimiter, group) for (delimiter, _), group in groups.items()]


def _scan(group: list[SourceFile], delimiter: str) -> str:
    paths = ", ".join(f"'{_sql_text(str(f.path))}'" for f in group)
    return (
        f"SELECT * FROM read_csv([{paths}], delim = '{_sql_text(delimiter)}', header = true, all_varchar = true, "
        "quote = '\"', escape = '\"', strict_mode = true, store_rejects = true, filename = true)"
    )


def _fails(column: ColumnSpec) -> str:
    """A SQL condition true when the raw text value of ``column`` breaks one of its rules."""
    value = f'"{column.name}"'
    missing = f"({value} IS NULL OR {value} = '')"
    rules: list[str] = []
    if column.type == "string":
        if column.max_length is not None:
            rules.append(f"length({value}) > {int(column.max_length)}")
        if column.pattern:
            rules.append(f"NOT regexp_full_match({value}, '{_sql_text(column.pattern)}')")
        if column.allowed:
            rules.append(f"{_folded(value, column)} NOT IN ({_allowed(column)})")
    elif column.type == "integer":
        rules.append(f"NOT regexp_full_match({value}, '[+-]?[0-9]+')")
        rules.extend(_bounds(f"TRY_CAST({value} AS BIGINT)", column))
    elif column.type == "decimal":
        whole = max(1, column.precision - column.scale)
        fraction = rf"(\.[0-9]{{0,{column.scale}}})?" if column.scale else ""
        rules.append(f"NOT regexp_full_match({value}, '[+-]?[0-9]{{1,{whole}}}{fraction}')")
        rules.extend(_bounds(f"TRY_CAST({value} AS DECIMAL({column.precision},{column.scale}))", column))
    else:
        rules.append(f"TRY_CAST({value} AS TIMESTAMPTZ) IS NULL")
    broken = " OR ".join(f"coalesce({rule}, true)" for rule in rules) or "false"
    if column.required:
        return f"{missing} OR (NOT {missing} AND ({broken}))"
    return f"NOT {missing} AND ({broken})"


def _bounds(number: str, column: ColumnSpec) -> list[str]:
    rules = []
    if column.min is not None:
        rules.append(f"{number} < {column.min}")
    if column.exclusive_min is not None:
        rules.append(f"{number} <= {column.exclusive_min}")
    return rules


def _folded(value: str, column: ColumnSpec) -> str:
    return f"lower({value})" if column.case_insensitive else value


def _allowed(column: ColumnSpec) -> str:
    values = (v.lower() if column.case_insensitive else v for v in column.allowed)
    return ", ".join(f"'{_sql_text(v)}'" for v in values)


def _typed(column: ColumnSpec) -> str:
    value = f'c."{column.name}"'
    if column.type == "integer":
        expression = f"CAST({value} AS INTEGER)"
    elif column.type == "decimal":
        expression = f"CAST({value} AS DECIMAL({column.precision},{column.scale}))"
    elif column.type == "timestamp":
        expression = _utc(f"c.{column.name}")
    elif column.normalize:
        expression = f"{column.normalize}({value})"
    else:
        expression = f"nullif({value}, '')"
    return f'{expression} AS "{column.name}"'


def _utc(column: str) -> str:
    """The UTC wall-clock TIMESTAMP of a text column holding ISO 8601 with or without an offset."""
    qualified = ".".join(f'"{part}"' for part in column.split("."))
    return f"(CAST({qualified} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
