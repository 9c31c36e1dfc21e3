"""deploy_stack against moto's CloudFormation, and the paths moto cannot produce through botocore's Stubber."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from retailctl.aws.cloudformation import deploy_stack, stack_outputs
from retailctl.aws.deployment import deploy
from retailctl.config import PipelineConfig
from retailctl.deploy import template_text
from retailctl.errors import AwsError, EnvironmentProblem
from tests.aws.conftest import REGION

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/retailctl/1"


def test_deploy_creates_the_stack_then_updates_it(moto: None, tmp_path: Path, source_tree: Path, aws_config: PipelineConfig) -> None:
    result = deploy(aws_config, tmp_path / "first", source=source_tree)
    assert result.stack.action == "created"
    assert result.stack.status == "CREATE_COMPLETE"
    assert result.artifact_bucket_created
    outputs = result.stack.outputs
    assert outputs["BucketName"] == "retail-lake-test"
    assert outputs["ValidatorFunctionName"] == "retailctl-validator"
    assert stack_outputs("retailctl", region=REGION) == outputs

    s3 = boto3.client("s3", region_name=REGION)
    encryption = s3.get_bucket_encryption(Bucket="retail-lake-test")["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    function = boto3.client("lambda", region_name=REGION).get_function(FunctionName="retailctl-validator")["Configuration"]
    assert function["Handler"] == "handler.handler"
    assert function["Runtime"].startswith("python3.1")
    environment = function["Environment"]["Variables"]
    assert environment["RETAILCTL_BACKEND"] == "aws"
    assert environment["RETAILCTL_BUCKET"] == "retail-lake-test"
    assert environment["RETAILCTL_SILVER_JOB_NAME"] == "retailctl-silver"
    groups = boto3.client("logs", region_name=REGION).describe_log_groups()["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        "/aws/lambda/retailctl-validator": 30,
        "/aws-glue/retailctl/retailctl": 30,
    }
    topics = boto3.client("sns", region_name=REGION).list_topics()["Topics"]
    assert [t["TopicArn"] for t in topics] == [outputs["AlertTopicArn"]]
    rules = boto3.client("events", region_name=REGION).list_rules()["Rules"]
    assert any("aws.glue" in rule.get("EventPattern", "") for rule in rules)

    again = deploy(aws_config, tmp_path / "again", source=source_tree)
    assert again.stack.action == "updated"
    assert again.uploaded == ()
    assert not again.artifact_bucket_created


def test_no_credentials_is_a_clear_usage_error(no_aws_credentials: None, tmp_path: Path, aws_config: PipelineConfig) -> None:
    with pytest.raises(EnvironmentProblem, match="no AWS credentials") as raised:
        deploy(aws_config, tmp_path)
    assert raised.value.exit_code == 2


def stubbed_cloudformation() -> tuple[object, Stubber]:
    client = boto3.client("cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def existing(status: str) -> dict[str, object]:
    return {"Stacks": [{
        "StackName": "retailctl", "StackId": STACK_ID, "StackStatus": status, "CreationTime": "2026-01-01T00:00:00Z",
        "Outputs": [{"OutputKey": "SilverJobName", "OutputValue": "retailctl-silver"}],
    }]}


def test_no_updates_to_perform_is_success() -> None:
    client, stub = stubbed_cloudformation()
    stub.add_response("describe_stacks", existing("UPDATE_COMPLETE"))
    stub.add_client_error("update_stack", "ValidationError", "No updates are to be performed.")
    with stub:
        result = deploy_stack("retailctl", template_text(), {"BucketName": "b"}, client=client)
    assert result.action == "unchanged"
    assert result.outputs == {"SilverJobName": "retailctl-silver"}


def test_a_rolled_back_first_create_says_how_to_recover() -> None:
    client, stub = stubbed_cloudformation()
    stub.add_response("describe_stacks", existing("ROLLBACK_COMPLETE"))
    with stub, pytest.raises(AwsError, match="delete-stack"):
        deploy_stack("retailctl", template_text(), {}, client=client)


def test_a_failed_create_reports_the_resource_failures() -> None:
    client, stub = stubbed_cloudformation()
    stub.add_client_error("describe_stacks", "ValidationError", "Stack with id retailctl does not exist")
    stub.add_response("create_stack", {"StackId": STACK_ID})
    stub.add_response("describe_stacks", existing("ROLLBACK_COMPLETE"))
    stub.add_response("describe_stack_events", {"StackEvents": [{
        "StackId": STACK_ID, "EventId": "1", "StackName": "retailctl", "Timestamp": "2026-01-01T00:00:00Z",
        "LogicalResourceId": "DataBucket", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "retail-lake already exists",
    }]})
    with stub, pytest.raises(AwsError, match="DataBucket: retail-lake already exists"):
        deploy_stack("retailctl", template_text(), {}, client=client)


def test_access_denied_is_a_usage_error_naming_the_action() -> None:
    client, stub = stubbed_cloudformation()
    stub.add_client_error("describe_stacks", "AccessDenied", "not authorized to perform cloudformation:DescribeStacks")
    with stub, pytest.raises(EnvironmentProblem, match="describe stack retailctl: AccessDenied"):
        stack_outputs("retailctl", client=client)
