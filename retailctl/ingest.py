"""Ingest local files: copy them into raw/, then run them through the whole pipeline."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from retailctl import layout
from retailctl.config import PipelineConfig
from retailctl.errors import UnsafeKey, UsageError
from retailctl.pipeline import PipelineResult, Progress, SessionProvider, run_pipeline
from retailctl.storage import ObjectStore, check_key

_GLOB_CHARACTERS = set("*?[")


@dataclass(frozen=True)
class LocalFile:
    """A file to ingest and the name it gets in raw/."""

    path: Path
    name: str


def stage_files(store: ObjectStore, paths: Sequence[str | Path]) -> list[str]:
    """Copy files, directories (recursively) or glob matches into raw/; return their names there.

    Refuses the whole batch, before copying anything, when a name is unsafe, appears twice, or is
    already waiting in raw/.
    """
    files = collect_files(paths)
    check_names(store, files)
    for local in files:
        store.upload(layout.raw_key(local.name), local.path)
    return [local.name for local in files]


def ingest_files(
    store: ObjectStore,
    config: PipelineConfig,
    paths: Sequence[str | Path],
    *,
    sessions: SessionProvider,
    force: bool = False,
    progress: Progress | None = None,
) -> PipelineResult:
    """Copy the files into raw/ and run them through the whole pipeline: validation, silver, gold."""
    names = stage_files(store, paths)
    return run_pipeline(store, config, names, sessions=sessions, force=force, progress=progress)


def collect_files(paths: Sequence[str | Path]) -> list[LocalFile]:
    """The files named by ``paths``: a file keeps its name, a directory's files keep their relative path."""
    if not paths:
        raise UsageError("name at least one file, directory or glob pattern to ingest")
    found: list[LocalFile] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_file():
            found.append(LocalFile(path, path.name))
        elif path.is_dir():
            found.extend(_directory_files(path))
        elif _GLOB_CHARACTERS & set(str(given)):
            matches = sorted(Path(match) for match in glob.glob(str(path), recursive=True))
            if not matches:
                raise UsageError(f"no file matches {str(given)!r}")
            found.extend(collect_files(matches))
        else:
            raise UsageError(f"no such file or directory: {str(given)!r}")
    return found


def check_names(store: ObjectStore, files: Sequence[LocalFile]) -> None:
    """Refuse names that escape the lake, repeat within the batch, or collide with a file in raw/."""
    seen: dict[str, Path] = {}
    for local in files:
        key = layout.raw_key(local.name)
        try:
            check_key(key)
        except UnsafeKey as exc:
            raise UsageError(f"cannot ingest {str(local.path)!r}: {exc}") from None
        if local.name in seen:
            raise UsageError(f"two files would both become {key}: {str(seen[local.name])!r} and {str(local.path)!r}")
        seen[local.name] = local.path
        if store.exists(key):
            raise UsageError(
                f"{key} is already waiting in raw/; run 'retailctl validate' first, or rename {str(local.path)!r}"
            )


def _directory_files(directory: Path) -> list[LocalFile]:
    files = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files.append(LocalFile(path, relative.as_posix()))
    if not files:
        raise UsageError(f"directory {str(directory)!r} has no files to ingest")
    return files

