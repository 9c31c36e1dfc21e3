"""`retailctl deploy` through the real CLI: --dry-run with no AWS at all, missing credentials, a moto deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from retailctl.cli.main import app


@pytest.fixture
def cli(tmp_path: Path, source_tree: Path) -> Any:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text("backend: aws\naws:\n  bucket: retail-lake-cli\n  region: us-east-1\n", encoding="utf-8")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, ["--config", str(pipeline), "deploy", "--source", str(source_tree), *args], catch_exceptions=False)

    return invoke


def test_dry_run_lints_and_shows_the_plan_without_credentials(no_aws_credentials: None, cli: Any) -> None:
    result = cli(
        "--dry-run", "--json", "--stack-name", "sales-prod", "--alert-email", "ops@example.com", "--with-crawler",
        "-p", "SilverSweepSchedule=cron(0/15 * * * ? *)",
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True
    assert plan["lint_findings"] == []
    assert plan["stack_name"] == "sales-prod"
    assert plan["artifact_bucket"] == "retail-lake-cli-artifacts"
    assert plan["parameters"]["AlertEmail"] == "ops@example.com"
    assert plan["parameters"]["CreateCrawler"] == "true"
    assert plan["parameters"]["SilverSweepSchedule"] == "cron(0/15 * * * ? *)"
    assert [a["name"] for a in plan["artifacts"]] == [
        "validator-lambda.zip", "retailctl-glue-lib.zip", "retailctl.jar", "glue_scripts/silver_job.py", "glue_scripts/gold_compaction_job.py",
    ]
    assert plan["artifacts"][0]["uri"] == f"s3://retail-lake-cli-artifacts/artifacts/{plan['artifact_version']}/validator-lambda.zip"


def test_dry_run_for_people(no_aws_credentials: None, cli: Any) -> None:
    result = cli("--dry-run")
    assert result.exit_code == 0, result.output
    assert "passes cfn-lint" in result.stdout
    assert "LambdaCodeKey" in result.stdout


@pytest.mark.parametrize("pair", ["NoSuchParameter=1", "SilverSweepSchedule"])
def test_bad_stack_parameters_are_usage_errors(no_aws_credentials: None, cli: Any, pair: str) -> None:
    result = cli("--dry-run", "--parameter", pair)
    assert result.exit_code == 2
    assert "NoSuchParameter" in result.output or "NAME=VALUE" in result.output


def test_deploy_without_credentials_exits_2_with_a_clear_message(no_aws_credentials: None, cli: Any) -> None:
    result = cli("--json")
    assert result.exit_code == 2
    assert "no AWS credentials" in json.loads(result.stdout)["error"]


def test_deploy_into_moto(moto: None, cli: Any) -> None:
    result = cli("--json", "--artifact-bucket", "team-artifacts")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stack_action"] == "created"
    assert report["artifact_bucket_created"] is True
    assert report["outputs"]["BucketName"] == "retail-lake-cli"
    assert len(report["uploaded"]) == 5
