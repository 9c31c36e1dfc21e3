"""Stores under test: the same contract suite runs on a directory, on moto and on a real S3 server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from retailctl.storage import LocalStore, ObjectStore
from retailctl.storage.s3 import S3Store
from tests.s3server import S3Endpoint

MOTO_BUCKET = "retailctl-moto"


@pytest.fixture(scope="session")
def server_bucket(s3_server: S3Endpoint) -> str:
    """One bucket on the real server for the session; each test works under its own prefix."""
    return s3_server.new_bucket()


@pytest.fixture
def moto_client() -> Iterator[Any]:
    """A moto S3 client with the bucket ``MOTO_BUCKET`` already made."""
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.create_bucket(Bucket=MOTO_BUCKET)
        yield client


@pytest.fixture(
    params=["local", "moto", pytest.param("s3server", marks=pytest.mark.s3server)],
)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each store implementation, empty."""
    if request.param == "local":
        return LocalStore(tmp_path / "lake")
    if request.param == "moto":
        return S3Store(MOTO_BUCKET, client=request.getfixturevalue("moto_client"))
    endpoint: S3Endpoint = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("server_bucket")
    return S3Store(bucket, prefix=f"t-{uuid.uuid4().hex[:12]}/lake", client=endpoint.client())
