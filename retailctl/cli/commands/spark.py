"""`retailctl spark start|stop|status`: the warm local Spark JVM commands share."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import typer

from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import AppState, app_state
from retailctl.errors import EXIT_FAILED, UsageError

spark_app = typer.Typer(
    help="A warm local Spark JVM that later commands use instead of starting their own (seconds instead of a cold start).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(spark_app, name="spark")


@spark_app.command("start")
def start_command(
    ctx: typer.Context,
    idle_minutes: Annotated[int, typer.Option("--idle-minutes", min=0, help="Stop after this long without a command (0: never).")] = 30,
    warm_up: Annotated[bool, typer.Option("--warm-up/--no-warm-up", help="Run the smoke dataset through it once, so the first command finds it warm.")] = True,
) -> None:
    """Start a warm Spark JVM for this config's JVM settings (or report the one running)."""
    from retailctl.jobs import warm

    state = app_state(ctx)
    java_home, conf = _warm_conf(state)
    began = time.monotonic()
    already = warm.find(warm.launch_key(java_home, conf))
    running = already or warm.start(java_home, conf, idle_minutes * 60)
    warmed = _warm_up(state, java_home, conf) if warm_up and already is None else None
    if state.json:
        emit_json(
            {
                **running.public(),
                "already_running": already is not None,
                "ready_after_seconds": round(time.monotonic() - began, 3),
                "warm_up_seconds": warmed,
            }
        )
        return
    idle = running.idle_seconds // 60
    console.print(
        ("warm Spark JVM already running" if already else "warm Spark JVM [green]ready[/]")
        + f" (pid {running.jvm_pid}, driver memory {running.settings.get('spark.driver.memory', '?')}, "
        + (f"stops after {idle} idle minute(s)" if idle else "runs until `retailctl spark stop`")
        + (f", warmed up in {warmed:.1f} s" if warmed is not None else "")
        + "): local commands with these JVM settings use it, one at a time."
    )


@spark_app.command("stop")
def stop_command(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Stop every warm JVM on this machine, not only this config's.")] = False,
) -> None:
    """Stop the warm Spark JVM (after the command using it, if any)."""
    from retailctl.jobs import warm

    state = app_state(ctx)
    targets = warm.running() if every else [found for found in [warm.find(_warm_key(state))] if found is not None]
    stopped = [item.jvm_pid for item in targets if warm.stop(item)]
    left = [item.jvm_pid for item in targets if item.jvm_pid not in stopped]
    if state.json:
        emit_json({"stopped": stopped, "still_running": left})
    elif not targets:
        console.print("No warm Spark JVM is running" + ("." if every else " for this config's JVM settings."))
    else:
        console.print(
            f"Stopped warm Spark JVM(s): {', '.join(map(str, stopped)) or 'none'}"
            + (f"; still running: {', '.join(map(str, left))} (each stops once the command using it ends)" if left else "")
        )
    if left:
        raise typer.Exit(EXIT_FAILED)


@spark_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """The warm Spark JVMs running on this machine, and which one this config's commands use."""
    from retailctl.jobs import warm

    state = app_state(ctx)
    key = _warm_key(state) if state.config.spark.master.startswith("local") else None
    found = [{**item.public(), "used_by_this_config": item.key == key} for item in warm.running()]
    if state.json:
        emit_json({"warm_jvms": found, "enabled": state.config.spark.warm})
        return
    if not found:
        console.print("No warm Spark JVM is running; `retailctl spark start` starts one.")
        return
    console.print(table(None, ("JVM pid", "driver memory", "started", "idle for", "memory", "busy", "this config's"), (_row(item) for item in found)))
    if not state.config.spark.warm:
        console.print("spark.warm is off in this config: its commands start their own JVM.")


def _row(item: dict[str, Any]) -> tuple[Any, ...]:
    rss = item["rss_bytes"]
    return (
        item["jvm_pid"],
        item["settings"].get("spark.driver.memory", ""),
        datetime.fromisoformat(item["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        f"{item['idle_for_seconds']:.0f} s",
        f"{rss / 2**20:,.0f} MiB" if rss else "",
        "yes" if item["busy"] else "no",
        "yes" if item["used_by_this_config"] else "no",
    )


def _warm_conf(state: AppState) -> tuple[str, dict[str, str]]:
    from retailctl.jobs import jvm
    from retailctl.jobs.spark import warm_jvm_conf

    settings = state.config.spark
    if not settings.master.startswith("local"):
        raise UsageError(f"spark.master is {settings.master!r}: a warm JVM is for local Spark only")
    return jvm.ensure_java(), warm_jvm_conf(settings)


def _warm_key(state: AppState) -> str:
    from retailctl.jobs import warm

    return warm.launch_key(*_warm_conf(state))


def _warm_up(state: AppState, java_home: str, conf: dict[str, str]) -> float | None:
    """Run the smoke dataset in the warm JVM; its seconds, or None when the JVM was taken by another command."""
    from retailctl.jobs import warm
    from retailctl.pipeline import SessionProvider
    from retailctl.smoke import run_smoke

    if not warm.connect(java_home, conf):
        return None
    began = time.monotonic()
    try:
        run_smoke(state.config, sessions=SessionProvider(state.config))
    finally:
        warm.release()
    return round(time.monotonic() - began, 3)
