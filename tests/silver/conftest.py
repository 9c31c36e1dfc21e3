"""Fixture of the silver tests: put a file in validated/ with the validation record the validator writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from retailctl import layout
from retailctl.jobs import sql_functions
from retailctl.storage import LocalStore, write_json
from tests.silver.silver_files import HEADER, PutValidated


@pytest.fixture(scope="session")
def spark(spark: Any) -> Any:
    """The shared session with retailctl's SQL functions, as silver's runner registers them (and registers
    them again: a test that drops them leaves them registered once it has run silver)."""
    sql_functions.register(spark)
    return spark


@pytest.fixture
def put_validated(store: LocalStore) -> PutValidated:
    """Write ``validated/<name>`` and its validation record; returns the file's ingest run id."""

    def put(name: str, data: bytes, header: Sequence[str] = HEADER, delimiter: str = ",", line_terminator: str = "\n") -> str:
        run_id = layout.new_run_id()
        store.write(layout.validated_key(name), data)
        positions = {column: index for index, column in enumerate(header) if column in HEADER}
        write_json(store, layout.validation_record_key(name), {
            "file": name, "ingest_run_id": run_id, "source_key": layout.raw_key(name),
            "validated_key": layout.validated_key(name), "encoding": "utf-8", "bom": False,
            "delimiter": delimiter, "quotechar": '"', "line_terminator": line_terminator, "header": list(header),
            "column_positions": positions, "extra_columns": [c for c in header if c not in HEADER],
            "size": len(data), "etag": "", "head_bytes_read": len(data), "validated_at": "2024-01-01T00:00:00+00:00",
        })
        return run_id

    return put
