"""The Glue entry point run locally (no awsglue) and `retailctl run-silver`, on a temporary lake."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from retailctl import layout
from retailctl.cli.main import app
from retailctl.records import read_ingest_record
from retailctl.storage import LocalStore
from tests.silver.silver_files import HEADER, PutValidated, csv_line, row

GLUE_SCRIPT = Path(__file__).resolve().parents[2] / "glue_scripts" / "silver_job.py"


def sales_file() -> bytes:
    return "\n".join([csv_line(HEADER), row(transaction_id="G1"), row(transaction_id="G2", quantity="0")]).encode()


@pytest.mark.spark
def test_glue_script_runs_locally(spark: Any, store: LocalStore, lake: Path, put_validated: PutValidated) -> None:
    run_id = put_validated("glue.csv", sales_file())
    put_validated("later.csv", sales_file())
    script = runpy.run_path(str(GLUE_SCRIPT))

    summary = script["main"](["--lake", str(lake), "--files", "glue.csv"])

    assert [(f["file"], f["outcome"], f["rows_valid"], f["rows_rejected"]) for f in summary["files"]] == [("glue.csv", "archived", 1, 1)]
    assert read_ingest_record(store, run_id)["outcome"] == "archived"
    assert store.exists(layout.validated_key("later.csv"))


@pytest.mark.spark
def test_run_silver_command_reports_each_file(spark: Any, store: LocalStore, lake: Path, put_validated: PutValidated) -> None:
    put_validated("cli.csv", sales_file())
    store.write(layout.validated_key("bad.csv"), b"not,a,sales,file\n1,2,3,4\n")

    result = CliRunner().invoke(app, ["--lake", str(lake), "--json", "run-silver"])

    assert result.exit_code == 1, result.output
    files = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    assert files["cli.csv"]["outcome"] == "archived" and files["cli.csv"]["rows_read"] == 2
    assert files["bad.csv"]["outcome"] == "rejected" and files["bad.csv"]["reason"]["stage"] == "silver"

    table = CliRunner().invoke(app, ["--lake", str(lake), "run-silver"])
    assert table.exit_code == 0 and "Nothing is waiting" in table.stdout


@pytest.mark.parametrize("name", ["missing.csv", "validated/missing.csv"])
def test_run_silver_command_refuses_unknown_names_before_starting_spark(lake: Path, name: str) -> None:
    result = CliRunner().invoke(app, ["--lake", str(lake), "run-silver", name])
    assert result.exit_code == 2 and "missing.csv" in result.output
