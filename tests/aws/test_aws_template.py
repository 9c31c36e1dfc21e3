"""The CloudFormation template: cfn-lint clean and consistent with the code that fills and reads it."""

from __future__ import annotations

from typing import Any

import pytest

from retailctl.aws.cloudwatch import NAMESPACE
from retailctl.aws.glue import JOB_OUTPUTS, JOB_SUFFIXES
from retailctl.config import PipelineConfig, load_config
from retailctl.deploy import ArtifactKeys, lint_template, parsed_template, stack_parameters
from retailctl.errors import UsageError

KEYS = ArtifactKeys(
    bucket="art",
    lambda_code="p/artifacts/v/validator-lambda.zip",
    glue_library="p/artifacts/v/lib.zip",
    glue_jar="p/artifacts/v/retailctl.jar",
    silver_script="s.py",
    gold_script="g.py",
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return parsed_template()


def test_template_is_cfn_lint_clean_in_two_regions() -> None:
    assert lint_template(regions=["us-east-1", "eu-west-1"]) == []


def test_stack_parameters_fill_every_required_template_parameter(template: dict[str, Any], aws_config: PipelineConfig) -> None:
    parameters = stack_parameters(aws_config, KEYS)
    declared = template["Parameters"]
    assert set(parameters) <= set(declared)
    assert {name for name, spec in declared.items() if "Default" not in spec} <= set(parameters)
    assert parameters["BucketName"] == "retail-lake-test"
    assert parameters["CreateCrawler"] == "false"
    assert parameters["AlertEmail"] == ""


def test_config_choices_reach_the_parameters() -> None:
    config = load_config(
        None,
        {"aws.prefix": "/team/sales/", "aws.alert_email": "ops@example.com", "aws.create_crawler": "yes", "limits.validation_head_bytes": 4096},
        environ={},
    )
    parameters = stack_parameters(config, KEYS)
    assert parameters["DataPrefix"] == "team/sales"
    assert parameters["AlertEmail"] == "ops@example.com"
    assert parameters["CreateCrawler"] == "true"
    assert parameters["ValidationHeadBytes"] == "4096"


def test_names_the_code_relies_on_match_the_template(template: dict[str, Any]) -> None:
    assert template["Mappings"]["Names"]["Metrics"]["Namespace"] == NAMESPACE
    outputs = template["Outputs"]
    assert set(JOB_OUTPUTS.values()) <= set(outputs)
    job_names = {r["Properties"]["Name"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job"}
    assert job_names == {f"${{AWS::StackName}}-{suffix}" for suffix in JOB_SUFFIXES.values()}


def test_glue_jobs_run_glue_5_python_3_without_bookmarks(template: dict[str, Any]) -> None:
    jobs = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job"]
    assert len(jobs) == 2
    for job in jobs:
        assert job["GlueVersion"] == "5.1"
        assert job["Command"]["Name"] == "glueetl"
        assert job["Command"]["PythonVersion"] == "3"
        arguments = job["DefaultArguments"]
        assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
        assert {"--bucket", "--prefix", "--extra-py-files"} <= set(arguments)
    silver = template["Resources"]["SilverJob"]["Properties"]["DefaultArguments"]
    assert silver["--extra-jars"] == "s3://${ArtifactBucket}/${GlueJarKey}", "silver's SQL functions"


def test_glue_jobs_may_read_the_jar_they_load(template: dict[str, Any], aws_config: PipelineConfig) -> None:
    role = template["Resources"]["GlueJobRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    (artifacts,) = [s for s in statements if s.get("Sid") == "Artifacts"]
    assert "arn:${AWS::Partition}:s3:::${ArtifactBucket}/${GlueJarKey}" in artifacts["Resource"]
    assert stack_parameters(aws_config, KEYS)["GlueJarKey"] == "p/artifacts/v/retailctl.jar"


def test_lambda_fires_only_for_raw_objects_and_has_no_dependency_cycle(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["DataBucket"]
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    (rule,) = notification["Filter"]["S3Key"]["Rules"]
    assert rule["Value"][2] == "raw/"
    permission = template["Resources"]["ValidatorInvokePermission"]["Properties"]
    assert "DataBucket" not in str(permission), "the permission must not refer to the bucket resource"


def test_any_template_parameter_can_be_overridden_by_name(aws_config: PipelineConfig) -> None:
    parameters = stack_parameters(aws_config, KEYS, {"SilverSweepSchedule": "cron(0/15 * * * ? *)", "BucketName": "other"})
    assert parameters["SilverSweepSchedule"] == "cron(0/15 * * * ? *)"
    assert parameters["BucketName"] == "other"
    with pytest.raises(UsageError, match="unknown stack parameter SilverSchedule"):
        stack_parameters(aws_config, KEYS, {"SilverSchedule": "x"})
