"""The local SparkSession: Java discovery and the settings that matter on a small machine."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from retailctl.config import SparkSettings
from retailctl.jobs import jvm, launch, warm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DICTIONARY_PAGE_BYTES = 64 * 1024
"""Parquet's writer dictionary-encodes a column until its dictionary passes this size (1 MiB by default),
or until its first page (20k rows) shows the dictionary does not pay, then writes plain values. Unique
values (ids, timestamps) end up plain either way, but up to then every one goes through the dictionary's
hash map: a fifth of gold's write samples in JFR. At 64 KiB they switch after a few thousand values;
columns of few values (stores, currencies, payment methods) keep their dictionaries, and a larger
dictionary that would have paid is lost (processed/ on 5M rows: 112 -> 115 MB). Gold full on 5M rows,
two alternating pairs: 55.6 and 55.3 -> 49.3 and 49.0 s (the write's stage 28.7 and 32.0 -> 23.8 and
24.8 CPU s); silver on 5M rows, with the date-typed staging of the same session, 81.2 -> 68.6 CPU s."""


BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.optimizer.windowGroupLimitThreshold": "-1",
    "spark.sql.codegen.hugeMethodLimit": "8000",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.parquet.enable.summary-metadata": "false",
    "spark.hadoop.parquet.dictionary.page.size": str(DICTIONARY_PAGE_BYTES),
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}
"""Settings for every session retailctl builds, local or on a cluster.

``windowGroupLimitThreshold`` -1: gold keeps the first row of each key, and Spark 3.5 would first sort every
row by key on the map side to drop the rest early. With few rows per key (re-sent rows are the exception)
that sort buys nothing: gold full on 5M rows took 67 s of task CPU time without it, 70 s with it (two runs each).

``hugeMethodLimit`` 8000: a JVM with default flags never JIT-compiles a method of more than 8,000 bytes of
bytecode, and silver's checks make one; above this limit Spark runs that part of the query operator by
operator instead of leaving it interpreted (the main pass about twice as fast on 1M rows). A local JVM
compiles such methods (see :data:`COMPILE_HUGE_METHODS`)."""

COMPILE_HUGE_METHODS = "-XX:-DontCompileHugeMethods"
"""A local JVM compiles methods of any size, and Spark's ``hugeMethodLimit`` is lifted with it, so silver's
main pass stays one compiled loop; run operator by operator, every step copies each row in full (silver on
5M rows, cold: 64-69 s instead of 72-85 s, task CPU 81-84 s instead of 98-115 s, with the timestamp and
reasons changes of the same commit)."""

NO_LOGGING_MBEANS = "-Dlog4j2.disable.jmx=true"
"""Log4j registers management beans for its loggers as it starts, which nothing local reads: the driver's gateway
opens 0.04 s sooner without them (0.42 -> 0.38 s, ten alternating pairs)."""

LARGE_INPUT_JVM_OPTIONS = f"-Duser.timezone=UTC {COMPILE_HUGE_METHODS} {NO_LOGGING_MBEANS}"

LOCAL_JVM_OPTIONS = f"{LARGE_INPUT_JVM_OPTIONS} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""A short local run's JVM is cold: the C1 compiler alone warms up far sooner (a 1k-row ingest: 13 s with
it, 18 s without), and the serial collector costs less to start and run than G1 on a small heap (the
same ingest, medians of nine alternating runs: 11.6 s against 12.4 s; gold incremental on a 5M-row lake
unchanged). A class-data archive is added to these (see :mod:`retailctl.jobs.jvm`)."""

HUGE_METHOD_LIMIT = 65535
"""Spark's own default: no generated method is too large when the JVM compiles them all."""

FULL_JIT_INPUT_BYTES = 16 * 1024 * 1024
"""From this much input on, the local JVM keeps its optimizing (C2) compiler: silver on 500k rows (37 MiB)
took 29 s with it and 49 s without; on 100k rows (7 MiB) 18 s with it and 17 s without."""

SORT_ROWS_IN_MEMORY = 500_000
"""A local sort (silver's date-partitioned write, gold's dedup and shuffles) spills to disk past this
many rows, so a local run's memory stays flat in the input size instead of filling the driver's heap:
silver on 5M rows peaked at 2.4 GiB without it and 1.45 GiB with it (1M rows: 1.3 GiB), gold on 5M
rows at 2.0 and 1.5 GiB, with no measurable change in their times."""

LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.driver.extraJavaOptions": LOCAL_JVM_OPTIONS,
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.hadoop.fs.file.impl": jvm.FORKLESS_FS_CLASS,
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "4096",
    "spark.shuffle.spill.numElementsForceSpillThreshold": str(SORT_ROWS_IN_MEMORY),
}
"""Extra settings when Spark runs in this process's JVM (``local[...]``)."""


def session_conf(settings: SparkSettings, input_bytes: int = 0) -> dict[str, str]:
    """Every Spark setting retailctl applies, later entries winning: base, local, config.

    ``input_bytes`` is how much the session's first job reads, when known: a large local input keeps
    the JVM's optimizing compiler (see :data:`FULL_JIT_INPUT_BYTES`).
    """
    conf = dict(BASE_CONF)
    if settings.master.startswith("local"):
        conf.update(LOCAL_CONF)
        if input_bytes >= FULL_JIT_INPUT_BYTES:
            conf["spark.driver.extraJavaOptions"] = LARGE_INPUT_JVM_OPTIONS
        conf["spark.driver.extraJavaOptions"] += f" {jvm.logging_option()}"
        conf["spark.driver.extraClassPath"] = str(jvm.retailctl_jar())
    conf["spark.sql.shuffle.partitions"] = str(settings.shuffle_partitions)
    conf["spark.driver.memory"] = settings.driver_memory
    conf.update(dict(settings.conf))
    compiles_huge_methods = COMPILE_HUGE_METHODS in conf.get("spark.driver.extraJavaOptions", "").split()
    if compiles_huge_methods and "spark.sql.codegen.hugeMethodLimit" not in settings.conf:
        conf["spark.sql.codegen.hugeMethodLimit"] = str(HUGE_METHOD_LIMIT)
    return conf


def warm_jvm_conf(settings: SparkSettings) -> dict[str, str]:
    """The settings of a warm JVM for ``settings`` (see :mod:`retailctl.jobs.warm`): being long-lived, it keeps
    the optimizing compiler."""
    return session_conf(settings, FULL_JIT_INPUT_BYTES)


def build_session(settings: SparkSettings, input_bytes: int = 0) -> SparkSession:
    """Get or create the SparkSession the config describes, quiet and in UTC (``input_bytes``: see :func:`session_conf`).

    A local session lives in the warm JVM of :mod:`retailctl.jobs.warm` when one for these settings runs
    and is free (and ``settings.warm``), else in a JVM of its own, started directly (:mod:`retailctl.jobs.launch`)
    unless this run writes the class-data archive. Python imports PySpark while a directly started JVM boots (0.07 s).
    """
    java_home = jvm.ensure_java()
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    os.environ.setdefault("SPARK_HOME", str(jvm.spark_home()))  # else spark-submit runs a Python to find it
    conf = session_conf(settings, input_bytes)
    archive = None
    if settings.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if not _gateway_open() and not (settings.warm and warm.connect(java_home, warm_jvm_conf(settings))):
            archive = jvm.add_class_data_archive(java_home, conf)
            if archive is None or archive.present:
                _start_directly(java_home, [("spark.master", settings.master), ("spark.app.name", settings.app_name), *conf.items()])
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if archive is not None and not archive.present:
        jvm.publish_archive_at_exit(archive)
    session.sparkContext.setLogLevel("ERROR")
    _resolve_classes_once(session)
    return session


def _gateway_open() -> bool:
    """Whether this process already talks to a JVM: PySpark is imported and holds a gateway (checked without importing it)."""
    context = sys.modules.get("pyspark.context")
    return context is not None and context.SparkContext._gateway is not None


def _start_directly(java_home: str, settings: list[tuple[str, str]]) -> None:
    """Give PySpark a gateway to a JVM started without ``spark-submit``, where that can be done."""
    from pyspark import SparkContext

    gateway = launch.start_gateway(java_home, settings)
    if gateway is not None:
        SparkContext._ensure_initialized(gateway=gateway)


RESOLVED_ONCE = ("org.apache.spark.sql.functions", "org.apache.spark.api.python.PythonUtils")
"""Classes PySpark names by their simple name on each use (``sc._jvm.functions`` for every column function).

Py4J resolves a simple name in the JVM on every lookup, trying the default package and then each imported
package: misses that search all ~250 jars on the class path, about 1 ms each, 285 of them in a 1k-row
ingest. Setting the names on the session's JVM view resolves them once, to the same classes."""


def _resolve_classes_once(session: SparkSession) -> None:
    from py4j.java_gateway import JavaClass

    jvm = session.sparkContext._jvm
    assert jvm is not None, "a classic (not Spark Connect) session has a JVM view"
    for name in RESOLVED_ONCE:
        setattr(jvm, name.rsplit(".", 1)[1], JavaClass(name, jvm._gateway_client))


def _python() -> str:
    return sys.executable
