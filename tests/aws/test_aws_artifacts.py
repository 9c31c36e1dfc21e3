"""Artifacts: reproducible zips with the right contents, a handler that imports from its zip alone, upload."""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from retailctl.aws.artifacts import (
    artifact_store,
    build_artifacts,
    ensure_artifact_bucket,
    full_key,
    upload_artifacts,
)
from retailctl.config import PipelineConfig, load_config
from retailctl.errors import EnvironmentProblem
from tests.aws.conftest import REGION

BOTO3_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_lambda_zip_holds_handler_package_and_pure_yaml(tmp_path: Path, source_tree: Path, config: PipelineConfig) -> None:
    bundle = build_artifacts(tmp_path, config.dataset, source_tree)
    entries = names(bundle.lambda_zip.path)
    assert "handler.py" in entries
    assert {"retailctl/__init__.py", "retailctl/validation/__init__.py", "retailctl/defaults/pipeline.yaml",
            "retailctl/defaults/datasets/fact_sales.yaml", "yaml/__init__.py"} <= set(entries)
    assert not [e for e in entries if e.startswith("retailctl/cli/") or "__pycache__" in e or e.endswith((".so", ".pyc"))]
    library = names(bundle.glue_library.path)
    assert "handler.py" not in library
    assert "retailctl/jobs/spark.py" in library
    assert not [e for e in library if e.endswith(".jar")], "the jar ships beside the zip (--extra-jars)"
    assert bundle.glue_jar.name == "retailctl.jar"
    assert "retailctl/sql/TextFormats$IsoTimestamp.class" in names(bundle.glue_jar.path)
    assert bundle.version.startswith("0.") and len(bundle.version.split("-")[-1]) == 12


def test_same_sources_give_the_same_version(tmp_path: Path, source_tree: Path, config: PipelineConfig) -> None:
    first = build_artifacts(tmp_path / "a", config.dataset, source_tree)
    second = build_artifacts(tmp_path / "b", config.dataset, source_tree)
    assert first.version == second.version
    assert first.lambda_zip.sha256 == second.lambda_zip.sha256


def test_a_custom_dataset_file_replaces_the_packaged_one(tmp_path: Path, source_tree: Path) -> None:
    config_dir = tmp_path / "config"
    (config_dir / "datasets").mkdir(parents=True)
    packaged = (source_tree / "retailctl/defaults/datasets/fact_sales.yaml").read_text(encoding="utf-8")
    custom = packaged.replace("USD", "JPY")
    (config_dir / "datasets" / "fact_sales.yaml").write_text(custom, encoding="utf-8")
    (config_dir / "pipeline.yaml").write_text("dataset: fact_sales\n", encoding="utf-8")
    dataset = load_config(config_dir / "pipeline.yaml", environ={}).dataset
    bundle = build_artifacts(tmp_path / "out", dataset, source_tree)
    with zipfile.ZipFile(bundle.glue_library.path) as archive:
        entries = archive.namelist()
        assert entries.count("retailctl/defaults/datasets/fact_sales.yaml") == 1
        assert archive.read("retailctl/defaults/datasets/fact_sales.yaml").decode() == custom


def test_missing_entry_points_are_named(tmp_path: Path, config: PipelineConfig) -> None:
    with pytest.raises(EnvironmentProblem, match=r"lambda/handler\.py"):
        build_artifacts(tmp_path / "out", config.dataset, tmp_path)


def test_handler_imports_with_only_the_zip_and_boto3(tmp_path: Path, source_tree: Path, config: PipelineConfig) -> None:
    bundle = build_artifacts(tmp_path / "out", config.dataset, source_tree)
    boto_dir = tmp_path / "boto"
    boto_dir.mkdir()
    for module_name in BOTO3_MODULES:
        module = importlib.import_module(module_name)
        origin = Path(module.__file__ or "")
        source = origin.parent if origin.name == "__init__.py" else origin
        (boto_dir / source.name).symlink_to(source)
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import handler, retailctl, yaml\n"
        "assert callable(handler.handler)\n"
        "assert retailctl.__file__.startswith(sys.argv[1]) and yaml.__file__.startswith(sys.argv[1])\n"
        "assert not yaml.__with_libyaml__\n"
        "for banned in ('typer', 'rich', 'pyspark'):\n"
        "    assert banned not in sys.modules, banned\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(bundle.lambda_zip.path), str(boto_dir)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_upload_puts_artifacts_under_prefix_and_version_once(moto: None, tmp_path: Path, source_tree: Path, config: PipelineConfig) -> None:
    bundle = build_artifacts(tmp_path, config.dataset, source_tree)
    assert ensure_artifact_bucket("retail-artifacts", region=REGION) is True
    assert ensure_artifact_bucket("retail-artifacts", region=REGION) is False
    store = artifact_store("retail-artifacts", "team/sales", region=REGION)
    assert len(upload_artifacts(bundle, store)) == 5
    assert upload_artifacts(bundle, store) == []
    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="retail-artifacts")["Contents"])
    assert keys == sorted(f"team/sales/artifacts/{bundle.version}/{a.name}" for a in bundle.artifacts)
    assert full_key(store, bundle.key(bundle.lambda_zip)) == f"team/sales/artifacts/{bundle.version}/validator-lambda.zip"
    access = s3.get_public_access_block(Bucket="retail-artifacts")["PublicAccessBlockConfiguration"]
    assert all(access.values())
