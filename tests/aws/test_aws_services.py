"""Glue job runs, SNS alerts and CloudWatch metrics against moto (and botocore's Stubber for a failed run)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from retailctl.aws.cloudwatch import NAMESPACE, CloudWatchMetrics
from retailctl.aws.glue import glue_arguments, job_name, run_job, wait_for_run
from retailctl.aws.sns import MAX_SUBJECT, SnsNotifier, sns_message, sns_subject
from retailctl.config import PipelineConfig
from retailctl.errors import AwsError, JobFailed
from tests.aws.conftest import REGION


def create_job(name: str) -> None:
    boto3.client("glue", region_name=REGION).create_job(
        Name=name, Role="arn:aws:iam::123456789012:role/glue", Command={"Name": "glueetl", "ScriptLocation": "s3://a/s.py"},
        DefaultArguments={"--bucket": "retail-lake-test"},
    )


def test_run_job_starts_the_stack_named_job_and_waits_for_success(moto: None, aws_config: PipelineConfig) -> None:
    create_job("retailctl-silver")
    result = run_job(aws_config, "silver", {"validated-key": "validated/a b.csv", "--run-id": 7}, poll_seconds=0)
    assert result.job_name == "retailctl-silver"
    assert result.state == "SUCCEEDED"
    assert result.raise_if_failed() is result
    run = boto3.client("glue", region_name=REGION).get_job_run(JobName="retailctl-silver", RunId=result.run_id)["JobRun"]
    assert run["Arguments"].items() >= {"--validated-key": "validated/a b.csv", "--run-id": "7"}.items()


def test_run_job_without_waiting_and_with_names_from_outputs(moto: None, aws_config: PipelineConfig) -> None:
    create_job("custom-gold")
    result = run_job(aws_config, "gold", {}, wait=False, outputs={"GoldJobName": "custom-gold"})
    assert result.job_name == "custom-gold"
    assert result.run_id.startswith("jr_")


def test_job_names_fall_back_to_the_templates_naming(aws_config: PipelineConfig) -> None:
    assert job_name(aws_config, "silver") == "retailctl-silver"
    assert job_name(aws_config, "gold", outputs={"SilverJobName": "x"}) == "retailctl-gold-compaction"


def test_a_missing_job_is_an_aws_error_naming_it(moto: None, aws_config: PipelineConfig) -> None:
    with pytest.raises(AwsError, match="start Glue job retailctl-silver: EntityNotFoundException"):
        run_job(aws_config, "silver", {}, outputs={})


def test_a_failed_run_carries_glues_error_message() -> None:
    client = boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    for state in ("RUNNING", "FAILED"):
        stub.add_response("get_job_run", {"JobRun": {"Id": "jr_1", "JobRunState": state, "ErrorMessage": "AnalysisException: bad column"}})
    naps: list[float] = []
    with stub:
        result = wait_for_run("retailctl-silver", "jr_1", client=client, poll_seconds=2.5, sleep=naps.append)
    assert naps == [2.5]
    assert (result.state, result.error_message) == ("FAILED", "AnalysisException: bad column")
    with pytest.raises(JobFailed, match="ended FAILED: AnalysisException: bad column"):
        result.raise_if_failed()


def test_glue_arguments_are_dashed_strings() -> None:
    assert glue_arguments({"bucket": "b", "--prefix": "p", "limit": 3}) == {"--bucket": "b", "--prefix": "p", "--limit": "3"}


def test_sns_notifier_publishes_the_detail_as_json(moto: None) -> None:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="retailctl-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    SnsNotifier(topic).notify("silver failed:\nfile é.csv", {"file": "é.csv", "run_id": "r1", "rows": 3})

    (message,) = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "silver failed: file e.csv"
    assert json.loads(envelope["Message"]) == {"file": "é.csv", "run_id": "r1", "rows": 3}


def test_sns_limits_are_respected() -> None:
    assert len(sns_subject("x" * 500)) == MAX_SUBJECT
    assert sns_subject("\n\t") == "retailctl alert"
    huge = json.loads(sns_message({"stacktrace": "line\n" * 200_000, "file": "a.csv"}))
    assert huge["truncated"] is True
    assert huge["file"] == "a.csv"
    assert "characters cut" in huge["stacktrace"]


def test_metrics_land_in_the_namespace_with_the_pipeline_dimension(moto: None, aws_config: PipelineConfig) -> None:
    CloudWatchMetrics.from_config(aws_config).record_ingest(rows_valid=10, rows_rejected=2, files_rejected=1)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    metrics = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"RowsValid", "RowsRejected", "FilesRejected"}
    assert all(m["Dimensions"] == [{"Name": "Pipeline", "Value": "retailctl"}] for m in metrics)
