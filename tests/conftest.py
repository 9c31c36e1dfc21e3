"""Shared fixtures: one session-scoped SparkSession, a temporary lake, the packaged config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retailctl.config import PipelineConfig, SparkSettings, load_config
from retailctl.storage import LocalStore

pytest_plugins = ["tests.s3server"]

REPO = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RETAILCTL_* variable of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("RETAILCTL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture
def store(lake: Path) -> LocalStore:
    return LocalStore(lake)


@pytest.fixture
def config(lake: Path) -> PipelineConfig:
    """The packaged default config, pointed at the temporary lake, with a small Spark."""
    return load_config(
        None,
        {"local.lake_root": str(lake), "spark.master": "local[2]", "spark.shuffle_partitions": 2, "spark.warm": False},
        environ={},
    )


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """The one SparkSession of the test run (tests that use it are marked ``spark``)."""
    from retailctl.jobs.spark import build_session

    session = build_session(SparkSettings(master="local[2]", shuffle_partitions=2, driver_memory="1g", warm=False))
    yield session
    session.stop()


@pytest.fixture
def cli(lake: Path) -> Any:
    """Run ``retailctl --lake <temporary lake> ARGS...`` in-process; returns Typer's result."""
    from typer.testing import CliRunner

    from retailctl.cli.main import app

    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, ["--lake", str(lake), *args], catch_exceptions=False)

    return invoke
