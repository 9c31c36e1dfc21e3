"""The local driver JVM's start-up aids: the class-data archive's key and the fork-free local file system."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from retailctl.jobs import jvm


def fake_java_home(root: Path, with_base_archive: bool = True) -> Path:
    home = root / "jdk"
    (home / "lib" / "server").mkdir(parents=True)
    (home / "release").write_text('JAVA_VERSION="17.0.15"\n')
    if with_base_archive:
        (home / "lib" / "server" / "classes.jsa").write_bytes(b"base")
    return home


def test_archive_key_follows_runtime_jars_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = fake_java_home(tmp_path)
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "spark-core.jar").write_bytes(b"v1")

    first = jvm.class_data_archive(str(home), "-Xmx1g", [jars])
    assert first is not None and first.path.parent == tmp_path / "cache" / "retailctl" / "jvm"
    assert jvm.class_data_archive(str(home), "-Xmx1g", [jars]) == first
    assert jvm.class_data_archive(str(home), "-Xmx2g", [jars]) != first
    (jars / "spark-core.jar").write_bytes(b"version 2")
    assert jvm.class_data_archive(str(home), "-Xmx1g", [jars]) != first


def test_archive_is_written_first_and_mapped_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    archive = jvm.class_data_archive(str(fake_java_home(tmp_path)), "", [])
    assert archive is not None and not archive.present
    assert f"-XX:ArchiveClassesAtExit={archive.pending}" in archive.java_options()
    assert archive.pending.name.endswith(f".{os.getpid()}.tmp")
    archive.path.parent.mkdir(parents=True)
    archive.path.write_bytes(b"archive")
    assert f"-XX:SharedArchiveFile={archive.path} -Xshare:auto" in archive.java_options()


def test_only_the_most_recently_used_archives_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = fake_java_home(tmp_path)
    archives = [jvm.class_data_archive(str(home), f"-Xmx{n}g", []) for n in range(1, 7)]
    directory = jvm.cache_dir() / "jvm"
    directory.mkdir(parents=True)
    for age, archive in enumerate(reversed(archives)):
        assert archive is not None
        archive.path.write_bytes(b"archive")
        os.utime(archive.path, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    assert archives[0] is not None
    archives[0].mark_used()
    (directory / "notes.txt").write_text("not an archive")

    deleted = jvm.prune_archives(directory, keep=3)

    assert sorted(deleted) == sorted(a.path for a in archives[1:4] if a is not None)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*(a.path.name for a in (archives[0], archives[4], archives[5]) if a is not None), "notes.txt"]
    )


def _finished_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(finished.stdout)


def test_archives_left_half_written_by_runs_that_are_gone_are_deleted(tmp_path: Path) -> None:
    gone, running = tmp_path / f"spark-aa.jsa.{_finished_pid()}.tmp", tmp_path / f"spark-bb.jsa.{os.getpid()}.tmp"
    for pending in (gone, running):
        pending.write_bytes(b"partial archive")

    assert jvm.prune_archives(tmp_path) == [gone]
    assert sorted(tmp_path.iterdir()) == [running]


def test_a_run_mapping_its_archive_deletes_those_others_left_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = str(fake_java_home(tmp_path))
    written = jvm.add_class_data_archive(home, {})
    assert written is not None and not written.present
    written.path.write_bytes(b"archive")
    abandoned = written.path.with_name(f"spark-aa.jsa.{_finished_pid()}.tmp")
    abandoned.write_bytes(b"partial archive")

    conf: dict[str, str] = {}
    mapped = jvm.add_class_data_archive(home, conf)

    assert mapped == written and f"-XX:SharedArchiveFile={written.path}" in conf["spark.driver.extraJavaOptions"]
    assert sorted(written.path.parent.iterdir()) == [written.path]


def test_no_archive_without_the_jdks_base_archive(tmp_path: Path) -> None:
    assert jvm.class_data_archive(str(fake_java_home(tmp_path, with_base_archive=False)), "", []) is None


@pytest.mark.parametrize("options", ["-Xshare:off", "-XX:SharedArchiveFile=/x.jsa", "-XX:StartFlightRecording=filename=/tmp/r.jfr"])
def test_no_archive_when_the_options_choose_sharing_or_record_a_flight(tmp_path: Path, options: str) -> None:
    assert jvm.class_data_archive(str(fake_java_home(tmp_path)), f"-Duser.timezone=UTC {options}", []) is None


def test_no_archive_when_java_tool_options_record_a_flight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=/tmp/r.jfr")
    assert jvm.class_data_archive(str(fake_java_home(tmp_path)), "-Duser.timezone=UTC", []) is None


@pytest.mark.spark
def test_local_writes_set_permissions_without_chmod_processes(spark: Any, tmp_path: Path) -> None:
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    assert hadoop.get("fs.file.impl") == jvm.FORKLESS_FS_CLASS
    spark.range(3).selectExpr("id", "id % 2 AS day").write.partitionBy("day").parquet(str(tmp_path / "out"))
    files = list((tmp_path / "out").rglob("*.parquet"))
    directories = list((tmp_path / "out").rglob("day=*"))
    assert files and directories
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o644}
    assert {stat.S_IMODE(path.stat().st_mode) for path in directories} == {0o755}
    assert not list((tmp_path / "out").rglob("*.crc"))


@pytest.mark.spark
def test_parquet_dictionaries_stop_at_64_kib_and_small_ones_stay(spark: Any, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    assert spark.sparkContext._jsc.hadoopConfiguration().get("parquet.dictionary.page.size") == "65536"
    spark.range(15_000).selectExpr(
        "concat('customer-', lpad(id % 5000, 12, '0')) AS large_dictionary", "concat('S', id % 7) AS store"
    ).coalesce(1).write.parquet(str(tmp_path / "out"))
    (written,) = (tmp_path / "out").glob("*.parquet")
    row_group = pq.ParquetFile(written).metadata.row_group(0)
    encodings = {row_group.column(i).path_in_schema: set(row_group.column(i).encodings) for i in range(2)}
    assert "PLAIN_DICTIONARY" not in encodings["large_dictionary"] and "PLAIN_DICTIONARY" in encodings["store"]


@pytest.mark.spark
def test_column_functions_find_their_class_without_a_lookup_by_name(spark: Any) -> None:
    from pyspark.sql import functions as F

    from retailctl.jobs.spark import RESOLVED_ONCE

    view = spark.sparkContext._jvm
    assert [vars(view)[name.rsplit(".", 1)[1]]._fqn for name in RESOLVED_ONCE] == list(RESOLVED_ONCE)
    assert spark.range(2).select(F.concat_ws("-", F.col("id"), F.lit("x")).alias("v")).collect()[1].v == "1-x"


def test_a_large_local_input_keeps_the_optimizing_compiler_and_g1() -> None:
    from retailctl.config import SparkSettings
    from retailctl.jobs.spark import FULL_JIT_INPUT_BYTES, session_conf

    settings = SparkSettings(master="local[2]")
    small = session_conf(settings)["spark.driver.extraJavaOptions"].split()
    large = session_conf(settings, FULL_JIT_INPUT_BYTES)["spark.driver.extraJavaOptions"].split()
    assert {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"} <= set(small)
    assert not {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"} & set(large)


def test_generated_methods_of_any_size_only_where_the_jvm_compiles_them() -> None:
    from retailctl.config import SparkSettings
    from retailctl.jobs.spark import COMPILE_HUGE_METHODS, FULL_JIT_INPUT_BYTES, session_conf

    def limit(settings: SparkSettings, input_bytes: int = 0) -> str:
        return session_conf(settings, input_bytes)["spark.sql.codegen.hugeMethodLimit"]

    local = SparkSettings(master="local[2]")
    assert COMPILE_HUGE_METHODS in session_conf(local)["spark.driver.extraJavaOptions"].split()
    assert limit(local) == limit(local, FULL_JIT_INPUT_BYTES) == "65535"
    assert limit(SparkSettings(master="local[2]", conf=(("spark.driver.extraJavaOptions", "-Dx=1"),))) == "8000"
    assert limit(SparkSettings(master="spark://cluster:7077")) == "8000"


class _StoppingContext:
    """What :func:`jvm.stop_context` uses of a SparkContext: its accumulator server and ``stop``."""

    def __init__(self, server: Any) -> None:
        self._accumulatorServer = server
        self.server_at_stop: Any = "not stopped"

    def stop(self) -> None:
        self.server_at_stop = self._accumulatorServer


def test_stop_context_stops_and_shuts_the_accumulator_server_down_beside_it() -> None:
    from pyspark.accumulators import _start_update_server

    before = set(threading.enumerate())
    server = _start_update_server("token")
    (serving,) = set(threading.enumerate()) - before
    context = _StoppingContext(server)

    jvm.stop_context(context)  # type: ignore[arg-type]

    assert context.server_at_stop is None, "the context stops without waiting for the server's loop"
    for thread in [t for t in threading.enumerate() if t.name == "accumulator-server-shutdown"]:
        thread.join(timeout=30)
    serving.join(timeout=30)
    assert not serving.is_alive() and server.server_shutdown
    assert server.socket.fileno() == -1, "the shutdown closed the server's socket"


def test_the_local_driver_logs_errors_only_through_retailctls_config() -> None:
    from retailctl.config import SparkSettings
    from retailctl.jobs.spark import FULL_JIT_INPUT_BYTES, session_conf

    settings = SparkSettings(master="local[2]")
    for input_bytes in (0, FULL_JIT_INPUT_BYTES):
        assert jvm.logging_option() in session_conf(settings, input_bytes)["spark.driver.extraJavaOptions"]
    config = Path(jvm.logging_option().split("=", 1)[1].strip('"'))
    assert "rootLogger.level = error" in config.read_text()
