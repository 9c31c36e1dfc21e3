"""The warm Spark JVM: real supervisor and JVM processes, real `retailctl` commands in their own processes."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from retailctl.config import SparkSettings, load_config
from retailctl.jobs import jvm, warm
from retailctl.jobs.spark import warm_jvm_conf
from retailctl.smoke import write_dataset

SETTINGS = SparkSettings(master="local[2]", shuffle_partitions=2, driver_memory="900m")
"""JVM settings no other test or developer run uses, so the warm JVM here is this module's own."""

USING = "using the warm Spark JVM"


def _settings_yaml(path: Path, **spark: Any) -> Path:
    values = {"master": SETTINGS.master, "driver_memory": SETTINGS.driver_memory, "shuffle_partitions": 2, **spark}
    path.write_text("spark:\n" + "".join(f"  {name}: {json.dumps(value)}\n" for name, value in values.items()))
    return path


def retailctl(config: Path, *args: str, warm_on: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``retailctl -v --config CONFIG ARGS`` as its own process (as a user would)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RETAILCTL_")}
    env["RETAILCTL_SPARK_WARM"] = "true" if warm_on else "false"
    return subprocess.run(
        [sys.executable, "-m", "retailctl", "-v", "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _settings_yaml(tmp_path_factory.mktemp("warm") / "pipeline.yaml")


@pytest.fixture(scope="module")
def warm_jvm(config_file: Path) -> Iterator[warm.WarmJvm]:
    """A warm JVM for :data:`SETTINGS`, started as users start it; stopped (or killed) at the end."""
    started = retailctl(config_file, "spark", "start", "--no-warm-up", "--idle-minutes", "10")
    assert started.returncode == 0, started.stderr
    running = warm.find(warm.launch_key(jvm.ensure_java(), warm_jvm_conf(SETTINGS)))
    assert running is not None
    yield running
    if not warm.stop(running):
        for pid in (running.pid, running.jvm_pid):
            os.kill(pid, 9)


@pytest.fixture
def lake_with_input(tmp_path: Path) -> tuple[Path, list[Path]]:
    files = write_dataset(tmp_path / "input")[0]
    return tmp_path / "lake", [files["sales"], files["corrections"]]



@pytest.mark.spark
def test_commands_run_in_the_warm_jvm_one_after_another(warm_jvm: warm.WarmJvm, config_file: Path, lake_with_input: Any) -> None:
    lake, inputs = lake_with_input
    first = retailctl(config_file, "--lake", str(lake), "ingest", str(inputs[0]))
    assert first.returncode == 0, first.stderr
    assert f"{USING} (pid {warm_jvm.jvm_pid})" in first.stderr
    second = retailctl(config_file, "--lake", str(lake), "--json", "ingest", str(inputs[1]))
    assert second.returncode == 0, second.stderr
    assert USING in second.stderr
    result = json.loads(second.stdout)
    assert [f["outcome"] for f in result["files"]] == ["archived"]
    assert result["gold"]["check"]["ok"] is True
    status = json.loads(retailctl(config_file, "--json", "spark", "status").stdout)
    mine = [item for item in status["warm_jvms"] if item["jvm_pid"] == warm_jvm.jvm_pid]
    assert mine and mine[0]["used_by_this_config"] and not mine[0]["busy"]
    assert "secret" not in mine[0]


@pytest.mark.spark
def test_a_busy_or_refused_warm_jvm_leaves_the_command_a_jvm_of_its_own(
    warm_jvm: warm.WarmJvm, config_file: Path, lake_with_input: Any
) -> None:
    lake, inputs = lake_with_input
    lock_path = warm.warm_dir() / f"{warm_jvm.key}.lock"
    with lock_path.open("ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = retailctl(config_file, "--lake", str(lake), "ingest", str(inputs[0]))
    assert busy.returncode == 0, busy.stderr
    assert "busy with another command" in busy.stderr and USING not in busy.stderr
    refused = retailctl(config_file, "--lake", str(lake), "run-gold-compaction", "--full", warm_on=False)
    assert refused.returncode == 0, refused.stderr
    assert USING not in refused.stderr


@pytest.mark.spark
def test_a_context_left_by_a_killed_command_is_stopped_by_the_next(warm_jvm: warm.WarmJvm, config_file: Path, lake: Path) -> None:
    script = (
        "import os\n"
        "from retailctl.config import SparkSettings\n"
        "from retailctl.jobs.spark import build_session\n"
        f"build_session(SparkSettings(master='local[2]', shuffle_partitions=2, driver_memory={SETTINGS.driver_memory!r}))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    after = retailctl(config_file, "--lake", str(lake), "run-gold-compaction")
    assert after.returncode == 0, after.stderr
    assert "stopping a SparkContext a previous command left" in after.stderr and USING in after.stderr


@pytest.mark.spark
def test_an_idle_warm_jvm_stops_itself_and_stop_ends_one_at_once() -> None:
    settings = SparkSettings(master="local[1]", driver_memory="700m")
    conf = warm_jvm_conf(settings)
    idle = warm.start(jvm.ensure_java(), conf, idle_seconds=2)
    deadline = time.monotonic() + 60
    while idle.alive and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not idle.alive and warm.find(idle.key) is None
    kept = warm.start(jvm.ensure_java(), conf, idle_seconds=0)
    assert warm.stop(kept) and not kept.alive and warm.find(kept.key) is None


@pytest.mark.spark
def test_two_starts_at_once_share_one_jvm() -> None:
    conf = warm_jvm_conf(SparkSettings(master="local[1]", driver_memory="650m"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: warm.start(jvm.ensure_java(), conf, idle_seconds=0), range(2))
    assert first.jvm_pid == second.jvm_pid and first.alive
    assert warm.stop(first) and warm.find(first.key) is None


def test_the_key_covers_what_a_running_jvm_cannot_change() -> None:
    java_home = jvm.ensure_java()

    def key(**changes: Any) -> str:
        return warm.launch_key(java_home, warm_jvm_conf(SparkSettings(**{"driver_memory": "2g", **changes})))

    assert key() == key(master="local[1]", shuffle_partitions=9, conf=(("spark.sql.ansi.enabled", "true"),))
    assert key() != key(driver_memory="3g")
    assert key() != key(conf=(("spark.driver.extraJavaOptions", "-Dx=1"),))


def test_spark_warm_is_a_config_setting_with_an_environment_override(tmp_path: Path) -> None:
    assert load_config(None, environ={}).spark.warm is True
    assert load_config(None, environ={"RETAILCTL_SPARK_WARM": "off"}).spark.warm is False
    assert load_config(_settings_yaml(tmp_path / "pipeline.yaml", warm=False), environ={}).spark.warm is False


def test_a_warm_jvm_is_for_local_spark_only(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILCTL_SPARK_MASTER", "spark://cluster:7077")
    started = cli("spark", "start")
    assert started.exit_code == 2 and "local Spark only" in started.output
    assert cli("spark", "status").exit_code == 0
