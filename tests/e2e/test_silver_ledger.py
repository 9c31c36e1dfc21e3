"""The silver entry points behind the content ledger: the Glue script and run-silver set duplicates aside."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.storage import LocalStore
from retailctl.validation import validate_pending
from tests.conftest import REPO

GLUE_SCRIPT = runpy.run_path(str(REPO / "glue_scripts" / "silver_job.py"))
BYTES = (
    b"transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method\n"
    b"L1,S1,P1,1,2.50,USD,2024-05-01T10:00:00Z,,card\n"
)


@pytest.mark.parametrize(
    ("option", "names"),
    [('["a,b.csv", "c d.csv"]', ["a,b.csv", "c d.csv"]), ("a.csv,b.csv", ["a.csv", "b.csv"]), ("", None), ("[]", None)],
)
def test_files_option_takes_a_json_list_or_commas(option: str, names: list[str] | None) -> None:
    assert GLUE_SCRIPT["file_names"](option) == names


@pytest.mark.spark
def test_glue_silver_job_processes_each_content_once(spark: Any, store: LocalStore, lake: Path, config: PipelineConfig) -> None:
    store.write(layout.raw_key("first, copy.csv"), BYTES)
    store.write(layout.raw_key("second.csv"), BYTES)
    validate_pending(store, config)

    summary = GLUE_SCRIPT["main"](["--lake", str(lake), "--files", json.dumps(["first, copy.csv", "second.csv"])])

    assert [(f["file"], f["outcome"]) for f in summary["files"]] == [("first, copy.csv", "archived")]
    (duplicate,) = summary["duplicates"]
    assert duplicate["file"] == "second.csv" and duplicate["duplicate_of"]["file"] == "first, copy.csv"
    assert store.exists(duplicate["archive_key"]) and not list(store.list(layout.VALIDATED))
