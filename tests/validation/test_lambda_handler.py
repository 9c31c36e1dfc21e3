"""The Lambda handler on sample events, against moto S3."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws

from retailctl import layout
from tests.conftest import REPO
from tests.events import load_event

BUCKET = "retail-sales-demo-s3"
HEADER = b"transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method\n"
GOOD = HEADER + b"t-1,s1,p1,2,9.99,USD,2024-05-01T10:00:00Z,c1,card\n"


def _load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("retailctl_lambda_handler", REPO / "lambda" / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


handler_module = _load_handler()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 client with the event's bucket; the handler finds credentials in the environment."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put_event(*keys: str) -> dict[str, Any]:
    """An S3 notification of objects put under those keys (URL-encoded, as S3 sends them)."""
    records = [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(key)}}} for key in keys]
    return {"Records": records}


def keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_several_records_with_encoded_keys(s3: Any) -> None:
    for key in ["raw/sales_good.csv", "raw/sales 2024 (copy) #2.csv", "raw/ventes/été+März.csv"]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=GOOD)
    s3.put_object(Bucket=BUCKET, Key="raw/empty.csv", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="processed/date=2024-05-01/part-0000.snappy.parquet", Body=b"PAR1")

    summary = handler_module.handler(load_event("s3_put_many"), None)

    outcomes = {item["file"]: item for item in summary["processed"]}
    assert set(outcomes) == {"sales_good.csv", "sales 2024 (copy) #2.csv", "ventes/été+März.csv", "empty.csv"}
    assert outcomes["empty.csv"]["reason_code"] == "empty_file"
    assert all(outcomes[name]["accepted"] for name in outcomes if name != "empty.csv")
    assert [item["key"] for item in summary["ignored"]] == ["processed/date=2024-05-01/part-0000.snappy.parquet"]
    present = keys(s3)
    assert not [key for key in present if key.startswith("raw/")]
    assert "validated/ventes/été+März.csv" in present
    assert "rejected/system/empty.csv_reason.json" in present
    assert "processed/date=2024-05-01/part-0000.snappy.parquet" in present
    json.dumps(summary)


def test_keys_a_store_refuses_are_renamed_and_handled_not_left_in_raw(s3: Any) -> None:
    """S3 holds keys a plain key may not be: a Windows path's backslashes, an empty segment, a dot segment."""
    refused = {"raw/Sales\\2024\\day 1.csv": "Sales%5C2024%5Cday 1.csv", "raw//b.csv": "%2Fb.csv", "raw/./c.csv": ".%2Fc.csv"}
    for key in refused:
        s3.put_object(Bucket=BUCKET, Key=key, Body=GOOD)
    summary = handler_module.handler(put_event(*refused), None)
    assert summary["ignored"] == [] and summary["failed"] == []
    outcomes = {item["renamed_from"]: (item["outcome"], item["file"]) for item in summary["processed"]}
    assert outcomes == {key: ("validated", name) for key, name in refused.items()}
    assert not [key for key in keys(s3) if key.startswith(("raw/", layout.STAGING))]
    assert {layout.validated_key(name) for name in refused.values()} <= set(keys(s3))
    records = [json.loads(s3.get_object(Bucket=BUCKET, Key=layout.ingest_record_key(item["ingest_run_id"]))["Body"].read())
               for item in summary["processed"]]
    assert {(record["file"], record["renamed_from"]) for record in records} == {(name, key) for key, name in refused.items()}
    again = handler_module.handler(put_event(*refused), None)
    assert {item["outcome"] for item in again["processed"]} == {"already_handled"}


def test_a_retried_event_validates_the_copy_a_failed_run_left_waiting(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=layout.renamed_key("late%5Cday.csv"), Body=GOOD)
    summary = handler_module.handler(put_event("raw/late\\day.csv"), None)
    assert [(item["outcome"], item["file"]) for item in summary["processed"]] == [("validated", "late%5Cday.csv")]
    assert layout.validated_key("late%5Cday.csv") in keys(s3)
    assert not [key for key in keys(s3) if key.startswith((layout.RAW, layout.STAGING))]


def test_duplicate_delivery_is_a_no_op(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/twice.csv", Body=GOOD)
    summary = handler_module.handler(load_event("s3_duplicate_delivery"), None)
    assert [item["outcome"] for item in summary["processed"]] == ["validated", "already_handled"]
    again = handler_module.handler(load_event("s3_duplicate_delivery"), None)
    assert {item["outcome"] for item in again["processed"]} == {"already_handled"}
    assert "validated/twice.csv" in keys(s3)


def test_eventbridge_object_created(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/store 7 (north).csv", Body=GOOD)
    summary = handler_module.handler(load_event("eventbridge_object_created"), None)
    assert summary["processed"][0]["destination_key"] == "validated/store 7 (north).csv"


def test_eventbridge_key_sent_unencoded_still_found(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/store+7+(north).csv", Body=GOOD)
    summary = handler_module.handler(load_event("eventbridge_object_created"), None)
    assert summary["processed"][0]["destination_key"] == "validated/store+7+(north).csv"


def test_sqs_wrapped_event(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/via sqs.csv", Body=HEADER)
    summary = handler_module.handler(load_event("sqs_wrapped"), None)
    assert summary["processed"][0]["reason_code"] == "header_only"


def test_s3_test_event_does_nothing(s3: Any) -> None:
    assert handler_module.handler(load_event("s3_test_event"), None) == {"processed": [], "ignored": [], "failed": [], "silver_runs": []}


def test_prefix_from_environment(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILCTL_PREFIX", "lake")
    s3.put_object(Bucket=BUCKET, Key="lake/raw/a b.csv", Body=GOOD)
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}
                         for key in ("lake/raw/a+b.csv", "raw/outside-the-prefix.csv")]}
    summary = handler_module.handler(event, None)
    assert [item["file"] for item in summary["processed"]] == ["a b.csv"]
    assert [item["key"] for item in summary["ignored"]] == ["raw/outside-the-prefix.csv"]
    assert "lake/validated/a b.csv" in keys(s3)
    assert "lake/audit/validation/a b.csv.json" in keys(s3)


def test_one_json_log_line_per_file(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/twice.csv", Body=GOOD)
    with caplog.at_level("INFO", logger="retailctl.lambda"):
        handler_module.handler(load_event("s3_duplicate_delivery"), None)
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "retailctl.lambda"]
    assert [line["outcome"] for line in lines] == ["validated", "already_handled"]
    assert lines[0]["bucket"] == BUCKET


def test_accepted_files_start_the_silver_job(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_job(Name="retailctl-silver", Role="arn:aws:iam::123456789012:role/glue", Command={"Name": "glueetl", "ScriptLocation": "s3://x/silver_job.py"})
    monkeypatch.setenv("RETAILCTL_SILVER_JOB_NAME", "retailctl-silver")
    for key in ["raw/sales_good.csv", "raw/sales 2024 (copy) #2.csv", "raw/ventes/été+März.csv"]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=GOOD)
    s3.put_object(Bucket=BUCKET, Key="raw/empty.csv", Body=b"")

    summary = handler_module.handler(load_event("s3_put_many"), None)

    (run_id,) = summary["silver_runs"]
    run = glue.get_job_run(JobName="retailctl-silver", RunId=run_id)["JobRun"]
    assert json.loads(run["Arguments"]["--files"]) == ["sales_good.csv", "sales 2024 (copy) #2.csv", "ventes/été+März.csv"]


def test_a_silver_job_that_cannot_start_leaves_files_waiting(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILCTL_SILVER_JOB_NAME", "no-such-job")
    s3.put_object(Bucket=BUCKET, Key="raw/sales_good.csv", Body=GOOD)
    summary = handler_module.handler(load_event("s3_put_many"), None)
    assert summary["silver_runs"] == []
    assert "validated/sales_good.csv" in keys(s3)
