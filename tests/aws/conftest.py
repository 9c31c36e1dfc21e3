"""AWS test fixtures: fake credentials, moto, and the source tree deploy packages."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from retailctl.aws.artifacts import GOLD_SCRIPT, LAMBDA_HANDLER, SILVER_SCRIPT, source_root
from retailctl.config import PipelineConfig, load_config

REGION = "us-east-1"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials in the environment and no shared config or instance metadata to fall back on."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def no_aws_credentials(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)


@pytest.fixture
def moto(aws_credentials: None) -> Iterator[None]:
    """Every boto3 call inside the test goes to moto (resource types moto's CloudFormation lacks are skipped)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
        with mock_aws():
            yield


@pytest.fixture
def source_tree() -> Path:
    """The checkout deploy packages; skips while another engineer's entry point is not written yet."""
    root = source_root()
    missing = [name for name in (LAMBDA_HANDLER, SILVER_SCRIPT, GOLD_SCRIPT) if not (root / name).is_file()]
    if missing:
        pytest.skip(f"not in the source tree yet: {', '.join(missing)}")
    return root


@pytest.fixture
def aws_config() -> PipelineConfig:
    return load_config(None, {"backend": "aws", "aws.bucket": "retail-lake-test", "aws.region": REGION}, environ={})
