"""The retailctl application: global options, command registration, and errors mapped to exit codes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from retailctl import __version__
from retailctl.cli import render
from retailctl.cli.commands import (
    audit,
    deploy,
    gold,
    ingest,
    replay,
    silver,
    smoke,
    spark,
    status,
    validate,
)
from retailctl.cli.state import AppState, app_state
from retailctl.errors import EXIT_USAGE, RetailctlError

_GLOBAL_FLAGS = {"--json", "-v", "--verbose", "-vv"}
_GLOBAL_WITH_VALUE = {"--config", "--backend", "--lake"}


class RetailctlGroup(TyperGroup):
    """Accepts global options anywhere on the line and turns retailctl errors into exit codes."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = _globals_first(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RetailctlError as exc:
            state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
            render.error(str(exc), as_json=state.json, exit_code=exc.exit_code)
            if state.verbose:
                logging.getLogger("retailctl").exception("details")
            ctx.exit(exc.exit_code)


def _globals_first(args: list[str]) -> list[str]:
    """Move global options that follow the command name to the front, where click expects them."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if arg in _GLOBAL_FLAGS:
            front.append(arg)
        elif name in _GLOBAL_WITH_VALUE:
            front.append(arg)
            if "=" not in arg and index + 1 < len(args):
                index += 1
                front.append(args[index])
        else:
            rest.append(arg)
        index += 1
    return front + rest


app = typer.Typer(
    cls=RetailctlGroup,
    name="retailctl",
    help="Deploy, operate and replay the retail-sales lake: raw -> validated -> silver -> gold, locally or on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        render.console.print(f"retailctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="Pipeline YAML (default: ./config/pipeline.yaml, else the packaged one).", envvar="RETAILCTL_CONFIG")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="local (a directory as the bucket) or aws.", metavar="local|aws")] = None,
    lake: Annotated[Path | None, typer.Option("--lake", help="Local lake root (default ./lake).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document for machines.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail; repeat for debug logs.")] = 0,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Global options, valid before or after the command name."""
    if backend is not None and backend not in ("local", "aws"):
        raise typer.BadParameter(f"{backend!r} is not one of local, aws", param_hint="--backend")
    state = app_state(ctx)
    state.config_path, state.backend, state.lake, state.json, state.verbose = config, backend, lake, json_output, verbose
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), format="%(levelname)s %(name)s: %(message)s")


for module in (deploy, ingest, validate, silver, gold, replay, audit, status, smoke, spark):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except RetailctlError as exc:  # raised outside a command, e.g. while parsing
        render.error(str(exc), as_json=False, exit_code=exc.exit_code)
        raise SystemExit(exc.exit_code) from exc
    except KeyboardInterrupt:
        raise SystemExit(EXIT_USAGE + 128) from None
