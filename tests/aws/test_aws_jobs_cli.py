"""run-gold-compaction and run-silver with --backend aws start the deployed Glue jobs (moto's Glue)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from typer.testing import CliRunner

from retailctl.cli.main import app


def make_job(name: str) -> None:
    boto3.client("glue", region_name="us-east-1").create_job(
        Name=name, Role="arn:aws:iam::123456789012:role/glue", Command={"Name": "glueetl", "ScriptLocation": "s3://a/b.py"}
    )


def test_gold_compaction_on_glue(moto: None) -> None:
    make_job("retailctl-gold-compaction")
    result = CliRunner().invoke(app, ["--backend", "aws", "--json", "run-gold-compaction", "--full", "--dates", "2024-01-01:2024-01-31"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["job_name"], document["state"]) == ("retailctl-gold-compaction", "SUCCEEDED")
    run = boto3.client("glue", region_name="us-east-1").get_job_run(JobName="retailctl-gold-compaction", RunId=document["run_id"])
    assert run["JobRun"]["Arguments"] == {"--full": "true", "--dates": "2024-01-01:2024-01-31"}


def test_a_job_that_is_not_deployed_is_a_clear_error(moto: None) -> None:
    result = CliRunner().invoke(app, ["--backend", "aws", "run-gold-compaction"])
    assert result.exit_code != 0
    assert "retailctl-gold-compaction" in result.output


def test_ingest_on_aws_uploads_to_raw_for_the_lambda(moto: None, tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="retail-sales-demo-s3")
    source = tmp_path / "day 1.csv"
    source.write_text("transaction_id,store_id\n")
    result = CliRunner().invoke(app, ["--backend", "aws", "--json", "ingest", str(source)])
    assert result.exit_code == 0, result.output
    (uploaded,) = json.loads(result.stdout)["files"]
    assert (uploaded["outcome"], uploaded["location"]) == ("uploaded", "s3://retail-sales-demo-s3/raw/day 1.csv")
    assert s3.get_object(Bucket="retail-sales-demo-s3", Key="raw/day 1.csv")["Body"].read() == source.read_bytes()


def test_replay_on_aws_moves_rejects_back_to_raw_for_the_lambda(moto: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="retail-sales-demo-s3")
    s3.put_object(Bucket="retail-sales-demo-s3", Key="rejected/system/late.csv", Body=b"fixed")
    s3.put_object(Bucket="retail-sales-demo-s3", Key="rejected/system/late.csv_reason.json", Body=b'{"ingest_run_id": "20240101T000000Z-0000abcd"}')
    result = CliRunner().invoke(app, ["--backend", "aws", "--json", "replay", "rejected/system"])
    assert result.exit_code == 0, result.output
    assert [f["outcome"] for f in json.loads(result.stdout)["pipeline"]["files"]] == ["uploaded"]
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="retail-sales-demo-s3")["Contents"])
    assert keys == ["raw/late.csv", "rejected/system/_history/late.csv_20240101T000000Z-0000abcd_reason.json"]
