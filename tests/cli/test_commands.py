"""validate / ingest / status through the real CLI on a temporary lake: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from retailctl import layout
from retailctl.cli.main import app
from retailctl.storage import LocalStore
from tests.conftest import REPO

SAMPLES = REPO / "samples"
GOOD = (SAMPLES / "sales_good.csv").read_bytes()



def test_every_command_has_help_text() -> None:
    group: Any = typer.main.get_command(app)
    ctx = group.context_class(group)
    names = group.list_commands(ctx)
    assert {"validate", "ingest", "status"} <= set(names)
    for name in names:
        command = group.get_command(ctx, name)
        assert command is not None and (command.help or "").strip(), f"'retailctl {name}' has no help text"
        assert CliRunner().invoke(app, [name, "--help"]).exit_code == 0
    output = CliRunner().invoke(app, ["--help"]).output
    for name in ("validate", "ingest", "status"):
        assert name in output






def test_ingest_refuses_a_name_already_waiting_in_raw(cli: Any, store: LocalStore) -> None:
    store.write("raw/sales_good.csv", b"waiting")
    result = cli("ingest", str(SAMPLES / "sales_good.csv"))
    assert result.exit_code == 2
    assert "raw/sales_good.csv is already waiting" in result.output
    assert store.read("raw/sales_good.csv") == b"waiting"


def test_ingest_refuses_a_name_that_is_not_a_plain_key(cli: Any, tmp_path: Path, store: LocalStore) -> None:
    odd = tmp_path / "a\\..\\b.csv"
    odd.write_bytes(GOOD)
    result = cli("ingest", str(odd))
    assert result.exit_code == 2 and "backslash" in result.output
    assert list(store.list()) == []


def test_ingest_missing_path_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("--json", "ingest", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "no such file" in json.loads(result.output)["error"]


def test_validate_all_by_default(cli: Any, store: LocalStore) -> None:
    store.write("raw/good.csv", GOOD)
    store.write("raw/utf16.csv", GOOD.decode().encode("utf-16"))
    result = cli("validate")
    assert result.exit_code == 1
    assert "unsupported_encoding" in result.output and "1 accepted, 1 rejected" in result.output
    assert list(store.list(layout.RAW)) == []


def test_validate_named_keys_in_either_spelling(cli: Any, store: LocalStore) -> None:
    for name in ("a.csv", "b c.csv", "left.csv"):
        store.write(layout.raw_key(name), GOOD)
    result = cli("validate", "--json", "raw/a.csv", "b c.csv")
    assert result.exit_code == 0
    assert [item["file"] for item in json.loads(result.output)["files"]] == ["a.csv", "b c.csv"]
    assert store.exists("raw/left.csv")


def test_validate_unknown_key_is_a_usage_error(cli: Any) -> None:
    result = cli("validate", "raw/ghost.csv")
    assert result.exit_code == 2 and "raw/ghost.csv" in result.output


def test_validate_keys_and_all_together_is_a_usage_error(cli: Any) -> None:
    assert cli("validate", "--all", "x.csv").exit_code == 2


def test_validate_nothing_waiting(cli: Any) -> None:
    result = cli("validate", "--all")
    assert result.exit_code == 0 and "Nothing is waiting in raw/" in result.output
    assert json.loads(cli("validate", "--json").output) == {"files": [], "validated": 0, "rejected": 0}


def test_status_human_and_json(cli: Any, store: LocalStore) -> None:
    store.write("raw/sales_good.csv", GOOD)
    store.write("raw/sales_missing_column.csv", (SAMPLES / "sales_missing_column.csv").read_bytes())
    cli("validate")
    store.write("raw/stuck.csv", GOOD)
    human = cli("status")
    assert human.exit_code == 0
    assert "raw/stuck.csv" in human.output and "validated/sales_good.csv" in human.output
    assert "missing_columns" in human.output
    payload = json.loads(cli("status", "--json").output)
    layers = {item["layer"]: item for item in payload["layers"]}
    assert set(layers) == set(layout.LAYERS)
    assert layers["raw/"]["objects"] == 1 and layers["validated/"]["bytes"] == len(GOOD)
    assert sorted(item["key"] for item in payload["waiting"]) == ["raw/stuck.csv", "validated/sales_good.csv"]
    assert {record["outcome"] for record in payload["recent_ingests"]} == {"validated", "rejected"}
    assert payload["staged"] == []


def test_status_shows_what_killed_runs_left_in_staging(cli: Any, store: LocalStore) -> None:
    silver_run, gold_run = "20260101T000000Z-0000000a", "20260102T000000Z-0000000b"
    store.write(layout.staging_prefix("silver", silver_run) + "input/00000.csv", b"x" * 10)
    store.write(layout.gold_staging_area(gold_run, "gold") + "date=2024-05-01/part-0.parquet", b"y" * 5)
    store.write(layout.gold_staging_area(gold_run, "replaced") + "gold/fact_sales/date=2024-05-01/old.parquet", b"z" * 7)
    payload = json.loads(cli("status", "--json").output)
    assert payload["staged"] == [
        {"job": "silver", "run_id": silver_run, "objects": 1, "bytes": 10, "moved_aside": 0},
        {"job": "gold", "run_id": gold_run, "objects": 2, "bytes": 12, "moved_aside": 1},
    ]
    human = " ".join(cli("status").output.split())
    assert "Left in _staging/" in human and "compare them with gold before deleting" in human


def test_status_of_an_empty_lake(cli: Any) -> None:
    result = cli("status")
    assert result.exit_code == 0 and "Nothing is waiting" in result.output
