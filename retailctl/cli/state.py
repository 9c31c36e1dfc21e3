"""What the global options decided, shared by every command through the Typer context."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import typer

from retailctl.config import PipelineConfig, load_config
from retailctl.storage import ObjectStore, open_store


@dataclass
class AppState:
    """Global options; the config and the store are built on first use, once."""

    config_path: Path | None = None
    backend: str | None = None
    lake: Path | None = None
    json: bool = False
    verbose: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def config(self) -> PipelineConfig:
        flags = {"backend": self.backend, "local.lake_root": str(self.lake) if self.lake else None, **self.overrides}
        return load_config(self.config_path, flags)

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.config)


def app_state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation (a default one when a command runs without the callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
