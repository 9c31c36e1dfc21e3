"""The benchmark's input files (generated once, cached in bench/data/) and throwaway lakes."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.datagen import DEFAULT_START, write_sales_csv
from retailctl.storage import LocalStore

DATA = Path(__file__).resolve().parent / "data"
BYTES_PER_ROW = 77
"""About what one generated row takes on disk, to size the validation file."""


@dataclass(frozen=True)
class Sizes:
    """How big each measured input is."""

    mode: str
    small_rows: int
    large_rows: int
    many_files: int
    many_file_rows: int
    validation_bytes: int
    ingest_rows: int = 1000
    days: int = 90


FULL = Sizes("full", 1_000_000, 5_000_000, 200, 5_000, 1 << 30)
QUICK = Sizes("quick", 100_000, 500_000, 20, 5_000, 64 << 20)


@dataclass(frozen=True)
class Input:
    """A generated CSV file and what the generator says is in it."""

    path: Path
    stats: dict[str, Any]

    @property
    def rows(self) -> int:
        return int(self.stats["rows"])


def ensure_csv(path: Path, rows: int, **options: Any) -> Input:
    """Generate ``path`` unless it is already there from the same arguments (a stats file beside it says)."""
    sidecar = path.with_name(path.name + ".stats.json")
    wanted = {"rows": rows, **{k: v.isoformat() if isinstance(v, date) else v for k, v in options.items()}}
    if sidecar.exists() and path.exists():
        cached = json.loads(sidecar.read_text())
        if cached.get("arguments") == wanted and cached["stats"]["bytes_written"] == path.stat().st_size:
            return Input(path, cached["stats"])
    stats = write_sales_csv(path, rows, **options).as_dict()
    sidecar.write_text(json.dumps({"arguments": wanted, "stats": stats}, indent=2))
    return Input(path, stats)


@dataclass(frozen=True)
class Inputs:
    small: Input
    large: Input
    new_day: Input
    many: list[Input]
    validation: Input
    ingest: Input


def ensure_inputs(sizes: Sizes, root: Path = DATA) -> Inputs:
    """Every input file the benchmark of ``sizes`` reads, each with distinct transaction ids."""
    base = root / sizes.mode
    new_day_start = DEFAULT_START + timedelta(days=sizes.days)
    return Inputs(
        small=ensure_csv(base / "sales_small.csv", sizes.small_rows, seed=1, days=sizes.days, id_prefix="s"),
        large=ensure_csv(base / "sales_large.csv", sizes.large_rows, seed=2, days=sizes.days, id_prefix="l"),
        new_day=ensure_csv(
            base / "sales_new_day.csv", sizes.large_rows // sizes.days, seed=3, days=1, start=new_day_start, id_prefix="n"
        ),
        many=[
            ensure_csv(base / "many" / f"sales part {index:03d}.csv", sizes.many_file_rows, seed=100 + index,
                       days=sizes.days, id_prefix=f"m{index:03d}_")
            for index in range(sizes.many_files)
        ],
        validation=ensure_csv(base / "sales_validation.csv", sizes.validation_bytes // BYTES_PER_ROW, seed=4, id_prefix="v"),
        ingest=ensure_csv(base / "sales_ingest.csv", sizes.ingest_rows, seed=5, id_prefix="i"),
    )


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link ``source`` to ``target`` (the pipeline replaces files, never edits them), else copy."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def snapshot(source: Path, target: Path) -> Path:
    """A copy of a lake made of hard links: cheap, and safe since stores write by rename."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=link_or_copy)
    return target


def place_and_validate(lake: Path, inputs: list[Input], config: PipelineConfig) -> None:
    """Put ``inputs`` in the lake's raw/ and validate them into validated/ (set-up, not measured)."""
    from retailctl.validation import validate_key

    store = LocalStore(lake)
    for item in inputs:
        link_or_copy(item.path, store.path(layout.raw_key(item.path.name)))
    for item in inputs:
        outcome = validate_key(store, layout.raw_key(item.path.name), config)
        if not outcome.accepted:
            raise RuntimeError(f"set-up: {item.path.name} was not validated: {outcome.reason_code}: {outcome.message}")
