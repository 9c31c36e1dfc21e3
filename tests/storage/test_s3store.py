"""What only the S3 store does: key prefixes, URIs, lazy clients, pagination, error translation."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from retailctl.config import load_config
from retailctl.errors import ObjectNotFound, StorageError, UnsafeKey
from retailctl.storage import open_store
from retailctl.storage.s3 import S3Store
from tests.s3server import S3Endpoint
from tests.storage.conftest import MOTO_BUCKET


def test_uri_names_bucket_prefix_and_key() -> None:
    assert S3Store("bucket", prefix="/lake/").uri("raw/a b.csv") == "s3://bucket/lake/raw/a b.csv"
    assert S3Store("bucket").uri("raw/a.csv") == "s3://bucket/raw/a.csv"
    assert S3Store("bucket", prefix="lake").uri("") == "s3://bucket/lake"
    assert S3Store("bucket").uri("") == "s3://bucket"


def test_prefix_isolates_the_store_from_the_rest_of_the_bucket(moto_client: Any) -> None:
    root = S3Store(MOTO_BUCKET, client=moto_client)
    lake = S3Store(MOTO_BUCKET, prefix="lake", client=moto_client)
    root.write("lakeside/raw/a.csv", b"neighbour")
    root.write("raw/a.csv", b"bucket root")
    lake.write("raw/a.csv", b"in the lake")

    assert [info.key for info in lake.list()] == ["raw/a.csv"]
    assert lake.read("raw/a.csv") == b"in the lake"
    assert [info.key for info in root.list()] == ["lake/raw/a.csv", "lakeside/raw/a.csv", "raw/a.csv"]
    assert lake.delete_prefix("raw/") == 1
    assert [info.key for info in root.list()] == ["lakeside/raw/a.csv", "raw/a.csv"]


def test_listing_and_delete_prefix_page_past_a_thousand_keys(moto_client: Any) -> None:
    store = S3Store(MOTO_BUCKET, client=moto_client)
    names = [f"_staging/run/part-{n:05d}" for n in range(1003)]
    for name in names:
        moto_client.put_object(Bucket=MOTO_BUCKET, Key=name, Body=b"")

    assert [info.key for info in store.list("_staging/")] == names
    assert store.delete_prefix("_staging/") == 1003
    assert list(store.list()) == []


def test_client_is_built_lazily_from_the_session(moto_client: Any) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    store = S3Store(MOTO_BUCKET, prefix="lake", session=session, region="us-east-1")
    assert store._client is None
    store.write("a.csv", b"x")
    assert moto_client.get_object(Bucket=MOTO_BUCKET, Key="lake/a.csv")["Body"].read() == b"x"


def test_open_store_builds_an_s3_store_for_the_aws_backend() -> None:
    config = load_config(
        None,
        {"backend": "aws", "aws.bucket": "my-lake", "aws.prefix": "team/sales", "aws.region": "eu-west-1"},
        environ={},
    )
    store = open_store(config)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.region) == ("my-lake", "team/sales", "eu-west-1")
    assert store.uri("raw/a.csv") == "s3://my-lake/team/sales/raw/a.csv"


def test_a_missing_bucket_is_a_storage_error_naming_it(moto_client: Any) -> None:
    store = S3Store("no-such-bucket", client=moto_client)
    for operation in (
        lambda: store.read("raw/a.csv"),
        lambda: store.write("raw/a.csv", b"x"),
        lambda: list(store.list("raw/")),
        lambda: store.create_if_absent("raw/a.csv", b"x"),
    ):
        with pytest.raises(StorageError, match="s3://no-such-bucket/raw") as raised:
            operation()
        assert not isinstance(raised.value, ObjectNotFound)
        assert "NoSuchBucket" in str(raised.value)
        assert isinstance(raised.value.__cause__, ClientError)


def test_an_unreachable_endpoint_is_a_storage_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{closed_port}",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    store = S3Store("bucket", client=client)
    with pytest.raises(StorageError, match=r"could not read s3://bucket/raw/a\.csv") as raised:
        store.read("raw/a.csv")
    assert isinstance(raised.value.__cause__, BotoCoreError)


@pytest.mark.s3server
def test_a_store_at_the_bucket_root_of_the_real_server(s3_server: S3Endpoint) -> None:
    client = s3_server.client()
    store = S3Store(s3_server.new_bucket(client), client=client)
    store.write("raw/b.csv", b"b")
    store.write("raw/a/z.csv", b"z")
    store.write("raw/a.csv", b"a")
    assert [info.key for info in store.list()] == ["raw/a.csv", "raw/a/z.csv", "raw/b.csv"]
    assert store.create_if_absent("raw/a.csv", b"again") is False
    store.move("raw/a.csv", "validated/a.csv")
    assert store.delete_prefix("raw/") == 2
    assert [info.key for info in store.list()] == ["validated/a.csv"]


@pytest.mark.s3server
def test_an_object_whose_key_the_store_refuses_is_moved_to_a_plain_key(s3_server: S3Endpoint) -> None:
    client = s3_server.client()
    bucket = s3_server.new_bucket(client)
    client.put_object(Bucket=bucket, Key="lake/raw/Sales\\day 1.csv", Body=b"a,b\n")
    store = S3Store(bucket, prefix="lake", client=client)
    with pytest.raises(UnsafeKey):
        store.read("raw/Sales\\day 1.csv")
    waiting = "_staging/validation/renamed/Sales%5Cday 1.csv"
    store.move_refused("raw/Sales\\day 1.csv", waiting)
    assert [(info.key, store.read(info.key)) for info in store.list()] == [(waiting, b"a,b\n")]
    with pytest.raises(ObjectNotFound):
        store.move_refused("raw/Sales\\day 1.csv", waiting)
