"""The config model: defaults, precedence, and errors that name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from retailctl.config import load_config
from retailctl.errors import ConfigError
from tests.conftest import REPO


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_defaults_work_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.backend == "local"
    assert config.local.lake_root == Path("lake")
    assert config.dataset.dedup_key == "transaction_id"
    assert config.dataset.partition_column == "sold_at"
    assert "customer_id" not in config.dataset.required_columns
    assert config.dataset.column("unit_price").spark_type == "decimal(12,2)"
    assert config.limits.validation_head_bytes == 65536


def test_repo_config_matches_the_packaged_defaults() -> None:
    packaged = REPO / "retailctl" / "defaults"
    assert (REPO / "config" / "pipeline.yaml").read_text() == (packaged / "pipeline.yaml").read_text()
    assert (REPO / "config" / "datasets" / "fact_sales.yaml").read_text() == (packaged / "datasets" / "fact_sales.yaml").read_text()


def test_precedence_flag_over_environment_over_file(tmp_path: Path) -> None:
    path = write(tmp_path / "pipeline.yaml", "backend: local\nlocal:\n  lake_root: /from/file\nspark:\n  master: local[1]\n")
    from_file = load_config(path, environ={})
    assert from_file.local.lake_root == Path("/from/file")
    from_env = load_config(path, environ={"RETAILCTL_LAKE": "/from/env", "RETAILCTL_SPARK_MASTER": "local[2]"})
    assert from_env.local.lake_root == Path("/from/env")
    assert from_env.spark.master == "local[2]"
    from_flag = load_config(path, {"local.lake_root": "/from/flag"}, environ={"RETAILCTL_LAKE": "/from/env"})
    assert from_flag.local.lake_root == Path("/from/flag")


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "aws:\n  bucket: my-bucket\n")
    assert load_config(environ={"RETAILCTL_CONFIG": str(path)}).aws.bucket == "my-bucket"


def test_dataset_beside_the_pipeline_file_wins(tmp_path: Path) -> None:
    dataset = (REPO / "config" / "datasets" / "fact_sales.yaml").read_text().replace("max_length: 64", "max_length: 10")
    write(tmp_path / "datasets" / "fact_sales.yaml", dataset)
    path = write(tmp_path / "pipeline.yaml", "dataset: fact_sales\n")
    config = load_config(path, environ={})
    assert config.dataset.column("transaction_id").max_length == 10
    assert config.dataset.source.endswith("fact_sales.yaml")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("backend: gcp\n", "backend", "not one of local, aws"),
        ("limits:\n  validation_head_bytes: lots\n", "limits.validation_head_bytes", "whole number"),
        ("limits:\n  validation_head_bytes: 10\n", "limits.validation_head_bytes", "at least 1024"),
        ("limits:\n  gold_max_files_per_date: 0\n", "limits.gold_max_files_per_date", "at least 1"),
        ("spark:\n  mastr: local\n", "spark.mastr", "unknown key"),
        ("bogus: 1\n", "bogus", "unknown key"),
        ("aws:\n  create_crawler: maybe\n", "aws.create_crawler", "true or false"),
        ("dataset: ../etc\n", "dataset", "not a dataset name"),
        ("dataset: nosuch\n", "dataset", "no dataset file"),
        ("- a\n- b\n", "(file)", "mapping"),
        ("a: [\n", "(file)", "not valid YAML"),
    ],
)
def test_bad_pipeline_config_names_file_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path / "pipeline.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.exit_code == 2
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value) or caught.value.source == "pipeline.yaml"


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (("type: integer", "type: int"), "columns.quantity.type", "not one of"),
        (("dedup_key: transaction_id", "dedup_key: nope"), "dedup_key", "not one of the columns"),
        (("column: sold_at", "column: store_id"), "partition.column", "timestamp column"),
        (("type: timestamp\n    required: true", "type: timestamp\n    required: false"), "partition.column", "must be required"),
        (('pattern: "^[A-Za-z0-9_-]+$"', 'pattern: "[unclosed"'), "columns.transaction_id.pattern", "regular expression"),
        (("max_length: 64", "max_length: many"), "columns.transaction_id.max_length", "must be a number"),
        (("normalize: lower", "normalize: title"), "columns.payment_method.normalize", "lower or upper"),
        (("required: false", "required: false\n    colour: red"), "columns[7].colour", "unknown key"),
    ],
)
def test_bad_dataset_names_file_key_and_problem(tmp_path: Path, edit: tuple[str, str], key: str, problem: str) -> None:
    dataset = (REPO / "config" / "datasets" / "fact_sales.yaml").read_text()
    assert edit[0] in dataset
    write(tmp_path / "datasets" / "fact_sales.yaml", dataset.replace(edit[0], edit[1], 1))
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "pipeline.yaml", "{}\n"), environ={})
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert "fact_sales.yaml" in caught.value.source


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", environ={})
    assert caught.value.exit_code == 2
