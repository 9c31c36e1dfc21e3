"""A warm local Spark JVM that retailctl commands share, one command at a time.

A short local command spends most of its time starting a JVM and warming it up (loading classes,
compiling hot code). ``retailctl spark start`` launches the same gateway JVM PySpark launches for
itself and keeps it: a later command whose JVM settings match connects to it instead of launching its
own, creates its SparkContext there with its own settings, and stops that context when it exits. The
JVM stays, with its classes loaded and its compiled code.

* **One command at a time.** A command holds ``<key>.lock`` (an advisory file lock) while it uses the
  JVM; a second command finds it taken and starts a JVM of its own, as it would without this module.
  A command that died without stopping its context leaves it behind; the next one stops it.
* **Same JVM settings.** ``<key>`` is a digest of everything fixed at JVM launch (driver memory and
  JVM options, the Java runtime, every jar); settings a SparkContext takes (master, shuffle
  partitions, ``spark.sql.*``) are each command's own.
* **Supervisor.** A small Python process (``python -m retailctl.jobs.warm``) holds the JVM's standard
  input open (the gateway exits when it closes), announces it in ``<key>.json`` (port and secret,
  readable by the owner only), and ends it on ``retailctl spark stop`` or after ``idle_seconds``
  without a command; its output and the JVM's go to ``<key>.log``.

The files live in ``<cache>/retailctl/warm/`` (see :func:`retailctl.jobs.jvm.cache_dir`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from retailctl.errors import EnvironmentProblem
from retailctl.jobs import jvm, launch

log = logging.getLogger("retailctl.spark")

LAUNCH_SETTINGS = (
    "spark.driver.memory",
    "spark.driver.extraJavaOptions",
    "spark.driver.extraClassPath",
    "spark.driver.extraLibraryPath",
    "spark.jars",
    "spark.jars.packages",
)
"""Settings that take effect only when the JVM starts: a warm JVM serves commands that agree on all of them."""

START_SECONDS = 180
"""How long ``start`` waits for the JVM to be ready."""

ANOTHER_SUPERVISOR = 3
"""The supervisor's exit code when another one already keeps a JVM for the same key."""

_POLL_SECONDS = 1.0
_GATEWAY_BINDINGS = ["j", "t", "GATEWAY_SERVER"]
"""Py4J's own objects in the gateway; every other binding is an object a command created."""


@dataclass(frozen=True)
class WarmJvm:
    """A running warm JVM, as its supervisor announced it."""

    key: str
    pid: int
    jvm_pid: int
    port: int
    secret: str
    started_at: str
    idle_seconds: int
    settings: dict[str, str]

    @property
    def alive(self) -> bool:
        return jvm.process_running(self.pid) and jvm.process_running(self.jvm_pid)

    @property
    def last_used(self) -> float:
        """When a command last took or gave back the JVM (its start time when none has)."""
        started = datetime.fromisoformat(self.started_at).timestamp()
        with contextlib.suppress(OSError):
            return max(started, _paths(self.key).lock.stat().st_mtime)
        return started

    @property
    def busy(self) -> bool:
        with _try_lock(_paths(self.key).lock) as held:
            return held is None

    @property
    def rss_bytes(self) -> int | None:
        """The JVM's resident memory (Linux ``/proc``; None elsewhere)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{self.jvm_pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return None

    def public(self) -> dict[str, Any]:
        """What status reports (no secret)."""
        found = {name: value for name, value in asdict(self).items() if name != "secret"}
        return {
            **found,
            "idle_for_seconds": round(time.time() - self.last_used, 1),
            "busy": self.busy,
            "rss_bytes": self.rss_bytes,
            "log": str(_paths(self.key).log),
        }


@dataclass(frozen=True)
class _Paths:
    info: Path
    lock: Path
    log: Path
    supervisor: Path


def warm_dir() -> Path:
    """Where warm JVMs are announced."""
    return jvm.cache_dir() / "warm"


def _paths(key: str) -> _Paths:
    base = warm_dir()
    return _Paths(base / f"{key}.json", base / f"{key}.lock", base / f"{key}.log", base / f"{key}.supervisor")


def launch_settings(conf: dict[str, str]) -> dict[str, str]:
    """The entries of ``conf`` fixed at JVM launch."""
    return {name: conf[name] for name in LAUNCH_SETTINGS if name in conf}


def launch_key(java_home: str, conf: dict[str, str]) -> str:
    """The key of a warm JVM for ``conf``: its launch settings, the Java runtime and every jar it loads."""
    text = json.dumps(launch_settings(conf), sort_keys=True)
    return jvm.runtime_digest(Path(java_home).resolve(), text, jvm.driver_classpath(conf))


def running() -> list[WarmJvm]:
    """Every warm JVM announced on this machine whose processes still run."""
    found = (_read_info(path) for path in sorted(warm_dir().glob("*.json")))
    return [item for item in found if item is not None and item.alive]


def find(key: str) -> WarmJvm | None:
    """The running warm JVM with this key, if any."""
    found = _read_info(_paths(key).info)
    return found if found is not None and found.alive else None


def start(java_home: str, conf: dict[str, str], idle_seconds: int) -> WarmJvm:
    """Start a warm JVM for ``conf`` (or return the one running) and wait until commands can use it."""
    key = launch_key(java_home, conf)
    existing = find(key)
    if existing is not None:
        return existing
    paths = _paths(key)
    paths.info.parent.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"key": key, "conf": conf, "idle_seconds": idle_seconds})
    with paths.log.open("ab") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "retailctl.jobs.warm", spec],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        ready = find(key)
        if ready is not None and (ready.pid == supervisor.pid or supervisor.poll() is not None):
            return ready  # this start's supervisor, or the one a concurrent start launched first
        if supervisor.poll() is not None and supervisor.returncode != ANOTHER_SUPERVISOR:
            raise EnvironmentProblem(f"the warm Spark JVM did not start (exit {supervisor.returncode}); its log {paths.log} ends:\n{_tail(paths.log)}")
        time.sleep(0.2)
    supervisor.terminate()
    raise EnvironmentProblem(f"the warm Spark JVM was not ready after {START_SECONDS} s; see {paths.log}")


def stop(warm: WarmJvm, timeout: float = 60) -> bool:
    """Ask the supervisor to end its JVM (after the command using it, if any) and wait; False if it is still running."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(warm.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not jvm.process_running(warm.pid):
            with contextlib.suppress(FileNotFoundError):
                _paths(warm.key).info.unlink()
            return True
        time.sleep(0.2)
    return False


class _Lease:
    """This process's use of a warm JVM: the lock it holds and the gateway it connected."""

    def __init__(self, lock: IO[bytes], gateway: Any) -> None:
        self.lock = lock
        self.gateway = gateway

    def release(self) -> None:
        """Stop this command's SparkContext, drop the objects it left in the gateway and free the JVM."""
        from pyspark import SparkContext

        try:
            active = SparkContext._active_spark_context
            if active is not None:
                jvm.stop_context(active)
            self.gateway.java_gateway_server.getGateway().getBindings().keySet().retainAll(_GATEWAY_BINDINGS)
            self.gateway.close()
        except Exception:  # the JVM may be gone already; the lock must be freed all the same
            log.debug("warm JVM release", exc_info=True)
        finally:
            SparkContext._gateway = None
            SparkContext._jvm = None
            _unlock(self.lock)


_lease: _Lease | None = None


def connect(java_home: str, conf: dict[str, str]) -> bool:
    """Make this process's SparkContext live in a free warm JVM for ``conf``; False when there is none.

    On True, PySpark's gateway is the warm JVM's, and the JVM is given back when this process exits
    (or on :func:`release`).
    """
    global _lease
    if not any(warm_dir().glob("*.json")):
        return False
    key = launch_key(java_home, conf)
    if find(key) is None:
        return False
    lock = _lock_now(_paths(key).lock)
    if lock is None:
        log.info("the warm Spark JVM is busy with another command; this one starts its own")
        return False
    warm = find(key)
    gateway = _gateway(warm) if warm is not None else None
    if warm is None or gateway is None:
        _unlock(lock)
        return False
    lease = _Lease(lock, gateway)
    try:
        _take_over(gateway)
    except Exception as exc:
        log.info("the warm Spark JVM could not be used (%s); this command starts its own", exc)
        lease.release()
        return False
    _lease = lease
    atexit.register(release)
    log.info("using the warm Spark JVM (pid %s)", warm.jvm_pid)
    return True


def _take_over(gateway: Any) -> None:
    """Make ``gateway`` PySpark's, stopping a SparkContext that a command which died left in the JVM."""
    from pyspark import SparkContext

    SparkContext._ensure_initialized(gateway=gateway)
    left_behind = getattr(gateway.jvm.org.apache.spark, "SparkContext$").__getattr__("MODULE$").getActive()
    if left_behind.isDefined():
        log.info("stopping a SparkContext a previous command left in the warm JVM")
        left_behind.get().stop()


def release() -> None:
    """Give the warm JVM this process uses back (nothing when it uses none)."""
    global _lease
    if _lease is not None:
        lease, _lease = _lease, None
        lease.release()


def _gateway(warm: WarmJvm) -> Any:
    try:
        return launch.connect(warm.port, warm.secret)
    except Exception as exc:
        log.info("the warm Spark JVM did not answer (%s); this command starts its own", exc)
        return None


def _flock_now(path: Path) -> IO[bytes] | None:
    """The lock file, locked without waiting; None when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _lock_now(path: Path) -> IO[bytes] | None:
    """Take the lock and mark the moment (the lock file's time is the JVM's last use); None if taken."""
    handle = _flock_now(path)
    if handle is not None:
        os.utime(path)
    return handle


def _unlock(handle: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.utime(handle.name)
    handle.close()


@contextlib.contextmanager
def _try_lock(path: Path) -> Iterator[IO[bytes] | None]:
    """The lock for the duration of the block without marking a use; None if taken."""
    handle = _flock_now(path)
    try:
        yield handle
    finally:
        if handle is not None:
            handle.close()


def _read_info(path: Path) -> WarmJvm | None:
    try:
        return WarmJvm(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None



def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def serve(key: str, conf: dict[str, str], idle_seconds: int) -> int:
    """The supervisor: launch the gateway JVM, announce it, and end it when told to or idle for ``idle_seconds``.

    One supervisor per key: a second one (two starts at once) exits with :data:`ANOTHER_SUPERVISOR`.
    """
    paths = _paths(key)
    with _try_lock(paths.supervisor) as owner:
        if owner is None:
            _say("another supervisor keeps a JVM for these settings")
            return ANOTHER_SUPERVISOR
        return _supervise(paths, key, conf, idle_seconds)


def _supervise(paths: _Paths, key: str, conf: dict[str, str], idle_seconds: int) -> int:
    from pyspark import SparkConf
    from pyspark.java_gateway import launch_gateway

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    jvm.ensure_java()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for name in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET"):
        os.environ.pop(name, None)
    gateway = launch_gateway(SparkConf(loadDefaults=False).setAll(list(conf.items())))
    proc: subprocess.Popen[bytes] = gateway.proc
    announced = WarmJvm(
        key=key,
        pid=os.getpid(),
        jvm_pid=proc.pid,
        port=gateway.gateway_parameters.port,
        secret=gateway.gateway_parameters.auth_token,
        started_at=datetime.now(UTC).isoformat(),
        idle_seconds=idle_seconds,
        settings=launch_settings(conf),
    )
    gateway.close()
    _announce(paths.info, announced)
    _say(f"ready: JVM pid {proc.pid}, port {announced.port}, idle limit {idle_seconds} s")
    while not stopping.wait(_POLL_SECONDS):
        if proc.poll() is not None:
            _say(f"the JVM exited by itself (code {proc.returncode})")
            paths.info.unlink(missing_ok=True)
            return 1
        if idle_seconds and time.time() - announced.last_used >= idle_seconds:
            with _try_lock(paths.lock) as held:
                if held is not None and time.time() - announced.last_used >= idle_seconds:
                    _say(f"idle for {idle_seconds} s: stopping")
                    _end(paths, proc)
                    return 0
    _say("stopping")
    paths.info.unlink(missing_ok=True)
    with paths.lock.open("ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the command using the JVM, if any, finishes first
        _end(paths, proc)
    return 0


def _announce(path: Path, warm: WarmJvm) -> None:
    pending = path.with_suffix(".json.tmp")
    with os.fdopen(os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(asdict(warm), handle)
    os.replace(pending, path)


def _end(paths: _Paths, proc: subprocess.Popen[bytes]) -> None:
    paths.info.unlink(missing_ok=True)
    jvm.stop_gateway_jvm(proc, None)
    _say("stopped")


def _say(message: str) -> None:
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} retailctl warm JVM: {message}", flush=True)


if __name__ == "__main__":
    _spec = json.loads(sys.argv[1])
    raise SystemExit(serve(_spec["key"], _spec["conf"], int(_spec["idle_seconds"])))
