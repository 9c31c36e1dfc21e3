"""Starting the local driver JVM without ``spark-submit``: Spark's launcher runs once per set of inputs.

PySpark starts its gateway JVM through ``bin/spark-submit``: shell scripts, then a first JVM (Spark's
launcher, ``org.apache.spark.launcher.Main``) that works out the java command, then the driver JVM, and
PySpark looks for it every 0.1 s. The command depends only on its inputs (the settings, the environment,
the Java runtime and jars, ``spark-defaults.conf``), so retailctl asks Spark's launcher for it once,
keeps it in ``<cache>/retailctl/jvm/launch-<digest>.args`` and starts java directly: a cold session
0.96-0.99 s -> 0.78-0.83 s. Where Spark's scripts would do more (a ``spark-env.sh``, ``PYSPARK_SUBMIT_ARGS``,
``SPARK_TESTING``) or anything goes wrong with a kept command, PySpark's own way is used.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retailctl.errors import EnvironmentProblem
from retailctl.jobs import jvm

COMMANDS_KEPT = 16
"""How many launch commands a machine keeps, the most recently used (a few hundred bytes each)."""

START_SECONDS = 120
"""How long to wait for a directly started JVM to open its gateway."""

_ENVIRONMENT_PREFIXES = ("SPARK_", "PYSPARK_", "JAVA_", "HADOOP_", "YARN_", "_SPARK")
"""Environment variables Spark's launcher may read: part of a kept command's key."""

_SCRIPT_ONLY = ("PYSPARK_SUBMIT_ARGS", "SPARK_TESTING")
"""Variables PySpark or Spark's scripts act on themselves: with one set, the JVM is started their way."""


def start_gateway(java_home: str, settings: list[tuple[str, str]]) -> Any | None:
    """A py4j gateway to a driver JVM started directly with ``settings`` (as ``--conf`` pairs), its ``proc`` set;
    None where PySpark should start it (see the module's docstring). EnvironmentProblem when the JVM dies at start."""
    conf_dir = Path(os.environ.get("SPARK_CONF_DIR") or jvm.spark_home() / "conf")
    if any(name in os.environ for name in _SCRIPT_ONLY) or (conf_dir / "spark-env.sh").exists():
        return None
    arguments = [part for key, value in settings for part in ("--conf", f"{key}={value}")] + ["pyspark-shell"]
    kept = _kept_command_path(java_home, arguments, conf_dir)
    command = _read_command(kept)
    if command is not None:
        kept.touch()
        gateway = _start(command)
        if gateway is not None:
            return gateway
        kept.unlink(missing_ok=True)
        return None
    command = launcher_command(java_home, arguments)
    gateway = _start(command)
    if gateway is None:
        raise EnvironmentProblem(f"the Spark driver JVM exited before it started: {shlex.join(command)}")
    _keep(kept, command)
    return gateway


def launcher_command(java_home: str, arguments: list[str]) -> list[str]:
    """The driver JVM's command as Spark's launcher builds it for ``spark-submit <arguments>`` (what ``bin/spark-class`` runs)."""
    spark_home = jvm.spark_home()
    launcher = [
        str(Path(java_home) / "bin" / "java"), "-Xmx128m", "-cp", str(spark_home / "jars" / "*"),
        "org.apache.spark.launcher.Main", "org.apache.spark.deploy.SparkSubmit", *arguments,
    ]
    environment = {"SPARK_HOME": str(spark_home), "SPARK_SCALA_VERSION": "2.12", **os.environ}  # as load-spark-env.sh sets them
    done = subprocess.run(launcher, env=environment, capture_output=True, check=False)
    if done.returncode != 0:
        raise EnvironmentProblem(f"Spark's launcher failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    return parse_launcher_output(done.stdout)


def parse_launcher_output(output: bytes) -> list[str]:
    """The command in Spark's launcher output: after a NUL and a newline, each argument ended by a NUL (what comes
    before is a message for the user, shown on stderr as ``spark-class`` shows it)."""
    message, marker, command = output.partition(b"\0\n")
    parts = [part.decode() for part in command.split(b"\0") if part]
    if not marker or not parts:
        raise EnvironmentProblem(f"Spark's launcher printed no command: {output[:200]!r}")
    if message.strip():
        sys.stderr.write(message.decode(errors="replace"))
    return parts


def connect(port: int, secret: str) -> Any:
    """PySpark's gateway to a running driver JVM listening on ``port``."""
    from pyspark.java_gateway import launch_gateway

    with _environment(PYSPARK_GATEWAY_PORT=str(port), PYSPARK_GATEWAY_SECRET=secret):
        return launch_gateway()


def _start(command: list[str]) -> Any | None:
    """Start ``command`` as PySpark starts its JVM and connect; None when the JVM exits before its gateway opens.

    PySpark is imported while the JVM boots."""
    with tempfile.TemporaryDirectory(prefix="retailctl-gateway-") as directory:
        info = Path(directory) / "gateway"
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,  # the gateway JVM exits when this closes
                env={**os.environ, "_PYSPARK_DRIVER_CONN_INFO_PATH": str(info)},
                process_group=0,  # Ctrl-C in a terminal is for Python, which stops Spark
            )
        except OSError:
            return None
        from pyspark.serializers import UTF8Deserializer, read_int

        deadline = time.monotonic() + START_SECONDS
        while proc.poll() is None and not info.is_file() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not info.is_file():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            return None
        with info.open("rb") as stream:
            port, secret = read_int(stream), UTF8Deserializer().loads(stream)
    gateway = connect(port, secret)
    gateway.proc = proc
    return gateway


def _kept_command_path(java_home: str, arguments: list[str], conf_dir: Path) -> Path:
    environment = sorted((name, value) for name, value in os.environ.items() if name.startswith(_ENVIRONMENT_PREFIXES))
    text = "\0".join([*arguments, *(f"{name}={value}" for name, value in environment), *_file_stamps(conf_dir)])
    digest = jvm.runtime_digest(Path(java_home).resolve(), text, [jvm.spark_jars()])
    return jvm.cache_dir() / "jvm" / f"launch-{digest}.args"


def _file_stamps(conf_dir: Path) -> list[str]:
    stamps = []
    for path in sorted(conf_dir.glob("*")) if conf_dir.is_dir() else []:
        with contextlib.suppress(OSError):
            stamps.append(jvm.file_stamp(path))
    return stamps


def _read_command(path: Path) -> list[str] | None:
    try:
        return [part.decode() for part in path.read_bytes().split(b"\0") if part] or None
    except (OSError, UnicodeDecodeError):
        return None


def _keep(path: Path, command: list[str]) -> None:
    """Write ``command`` to ``path`` (atomically) and delete all but the :data:`COMMANDS_KEPT` most recently used."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        pending = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        pending.write_bytes(b"".join(part.encode() + b"\0" for part in command))
        os.replace(pending, path)
        jvm.keep_recent(list(path.parent.glob("launch-*.args")), COMMANDS_KEPT)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
