"""Starting the driver JVM directly: Spark's launcher asked once, its command kept and reused, a broken one replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retailctl.errors import EnvironmentProblem
from retailctl.jobs import launch

SESSION = """
import os
from retailctl.config import SparkSettings
from retailctl.jobs import jvm
from retailctl.jobs.spark import build_session
from pyspark import SparkContext
settings = SparkSettings(master="local[1]", driver_memory="512m", warm=False,
                         conf=(("spark.driver.extraJavaOptions", f"-Duser.timezone=UTC -Xshare:off {jvm.logging_option()}"),))
session = build_session(settings)
proc = SparkContext._gateway.proc
by = "pyspark" if proc.args[0].endswith("spark-submit") else "retailctl"
print(session.range(3).count(), "started by", by, "in its own process group" if os.getpgid(proc.pid) != os.getpgid(0) else "")
"""
"""A command's session in a JVM of its own, with retailctl's logging config; no class-data archive (``-Xshare``), so the
JVM is started directly."""


def run_session(cache: Path) -> str:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", SESSION], env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "WARN" not in done.stderr and "setLogLevel" not in done.stderr, f"Spark's start-up noise: {done.stderr[-2000:]}"
    return done.stdout.strip().splitlines()[-1]


def kept_commands(cache: Path) -> list[Path]:
    return sorted((cache / "retailctl" / "jvm").glob("launch-*.args"))


def test_launcher_output_is_read_as_spark_class_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    output = b"a note\n\0\n/usr/bin/java\0-cp\0/spark/jars/*\0-Dx=a b\0org.apache.spark.deploy.SparkSubmit\0pyspark-shell\0"
    assert launch.parse_launcher_output(output) == ["/usr/bin/java", "-cp", "/spark/jars/*", "-Dx=a b", "org.apache.spark.deploy.SparkSubmit", "pyspark-shell"]
    assert capsys.readouterr().err == "a note\n"
    with pytest.raises(EnvironmentProblem, match="no command"):
        launch.parse_launcher_output(b"Error: no such class\n")


@pytest.mark.spark
def test_the_command_is_kept_reused_and_replaced_when_it_no_longer_starts(tmp_path: Path) -> None:
    assert run_session(tmp_path) == "3 started by retailctl in its own process group", "a terminal's Ctrl-C is for Python"
    (kept,) = kept_commands(tmp_path)
    command = kept.read_bytes().split(b"\0")
    assert command[0].endswith(b"/bin/java") and b"org.apache.spark.deploy.SparkSubmit" in command

    os.utime(kept, (0, 0))
    assert run_session(tmp_path).startswith("3 started by retailctl")
    assert kept_commands(tmp_path) == [kept] and kept.stat().st_mtime > 0, "reused, and marked used"

    kept.write_bytes(b"/no/such/java\0-version\0")
    assert run_session(tmp_path).startswith("3 started by pyspark")
    assert kept_commands(tmp_path) == [], "a kept command that no longer starts is dropped"
    assert run_session(tmp_path).startswith("3 started by retailctl")


def test_spark_env_scripts_are_left_to_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "spark-env.sh").write_text("export SPARK_LOCAL_DIRS=/scratch\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert launch.start_gateway("/no/java/needed", [("spark.master", "local[1]")]) is None
    monkeypatch.delenv("SPARK_CONF_DIR")
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 1g pyspark-shell")
    assert launch.start_gateway("/no/java/needed", [("spark.master", "local[1]")]) is None
