"""Run one measured stage in a child process and sample the memory of its whole process tree."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

SAMPLE_SECONDS = 0.05
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    """One run: cold wall time (process start to exit), peak RSS and CPU time of the tree, the child's report."""

    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    cpu_seconds: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.result.get("error")


class TreeWatcher:
    """Samples a process tree: the peak of its summed RSS, and the CPU seconds each member has used."""

    def __init__(self, pid: int, also: Sequence[int] = ()) -> None:
        self.root = psutil.Process(pid)
        self.also = [psutil.Process(other) for other in also]
        self.peak_rss = 0
        self.cpu_by_pid: dict[tuple[int, float], float] = {}
        self.cpu_before = {(other.pid, other.create_time()): _cpu(other) for other in self.also}

    def sample(self) -> None:
        try:
            members = [self.root, *self.root.children(recursive=True), *self.also]
        except psutil.NoSuchProcess:
            return
        rss = 0
        for member in members:
            try:
                with member.oneshot():
                    rss += member.memory_info().rss
                    identity = (member.pid, member.create_time())
                    self.cpu_by_pid[identity] = _cpu(member) - self.cpu_before.get(identity, 0.0)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        self.peak_rss = max(self.peak_rss, rss)

    @property
    def cpu_seconds(self) -> float:
        """CPU time of the tree as last sampled (a member's final ~50 ms may be missed)."""
        return sum(self.cpu_by_pid.values())


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run_command(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 3600, also: Sequence[int] = ()) -> Sample:
    """Run ``argv`` to completion, sampling its tree's RSS every ~50 ms; the child may write a result JSON.

    The child learns where to write it from ``$BENCH_RESULT``; commands that do not write one (the
    retailctl CLI) get their exit code and the tail of their output recorded instead. ``also``: processes
    outside the tree that work for it (a warm JVM), counted in its memory and CPU time.
    """
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        result_path = Path(scratch) / "result.json"
        stderr_path = Path(scratch) / "stderr.txt"
        child_env = {**os.environ, **(env or {}), "BENCH_RESULT": str(result_path)}
        child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), child_env.get("PYTHONPATH")]))
        with stderr_path.open("wb") as stderr:
            started = time.perf_counter()
            child = subprocess.Popen(argv, cwd=REPO, env=child_env, stdout=subprocess.DEVNULL, stderr=stderr)
            watcher = TreeWatcher(child.pid, also)
            deadline = started + timeout
            while child.poll() is None:
                watcher.sample()
                if time.perf_counter() > deadline:
                    child.kill()
                    break
                time.sleep(SAMPLE_SECONDS)
            returncode = child.wait()
            wall = time.perf_counter() - started
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        tail = stderr_path.read_text(errors="replace")[-3000:]
    return Sample(wall, watcher.peak_rss, returncode, watcher.cpu_seconds, result, tail if returncode else "")


def run_stage(stage: str, params: dict[str, Any], env: dict[str, str] | None = None, also: Sequence[int] = ()) -> Sample:
    """Run ``bench.child <stage>`` with ``params`` in a fresh Python (and, for Spark, a fresh JVM unless ``env`` lets it use a warm one)."""
    return run_command([sys.executable, "-m", "bench.child", stage, json.dumps(params)], env, also=also)


def summarize(samples: Sequence[Sample], rows: int, seconds_key: str | None = None) -> dict[str, Any]:
    """Median, minimum and maximum of wall time and peak memory over the runs; rows/s from the median."""
    walls = [s.wall_seconds for s in samples]
    peaks = [s.peak_rss_bytes for s in samples]
    summary: dict[str, Any] = {
        "runs": len(samples),
        "rows": rows,
        "wall_seconds": _spread(walls),
        "cpu_seconds": _spread([s.cpu_seconds for s in samples]),
        "peak_rss_mib": _spread([p / 2**20 for p in peaks]),
        "rows_per_second": round(rows / statistics.median(walls)) if rows and walls else None,
    }
    if seconds_key:
        inner = [s.result[seconds_key] for s in samples if seconds_key in s.result]
        if inner:
            summary["stage_seconds"] = _spread(inner)
    return summary


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }
