"""`retailctl status`."""

from __future__ import annotations

from typing import Annotated

import typer

from retailctl import layout
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.jobs.gold_runner import describe_changes
from retailctl.status import ingest_reason, lake_status


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command(
    ctx: typer.Context,
    recent: Annotated[int, typer.Option("--recent", min=0, help="How many of the latest ingest records to show.")] = 10,
) -> None:
    """What each layer of the lake holds, anything waiting in raw/ or validated/ or left in staging, and the last runs."""
    state = app_state(ctx)
    status = lake_status(state.store, recent=recent)
    if state.json:
        emit_json({"lake": state.store.uri(""), **status.to_dict()})
        return
    console.print(f"Lake: {state.store.uri('')}")
    console.print(table("Layers", ("layer", "objects", "bytes"), ((u.layer, u.objects, f"{u.bytes:,}") for u in status.layers)))
    if status.waiting:
        waiting = ((w.key, f"{w.size:,}", w.last_modified.isoformat(timespec="seconds"), _age(w.age_seconds)) for w in status.waiting)
        console.print(table("Waiting in raw/ or validated/", ("key", "bytes", "since", "age"), waiting))
    else:
        console.print("Nothing is waiting in raw/ or validated/.")
    if status.staged:
        staged = ((r.job, r.run_id, r.objects, f"{r.bytes:,}", r.moved_aside or "") for r in status.staged)
        console.print(table(
            f"Left in {layout.STAGING} (a run still going, or one that ended without cleaning up)",
            ("job", "run id", "objects", "bytes", "gold files moved aside"),
            staged,
        ))
        if any(r.moved_aside for r in status.staged):
            console.print(
                "  Moved-aside gold files are the old rows of partitions a compaction was replacing; if that run was "
                "killed, compare them with gold before deleting its staging."
            )
    if status.recent_ingests:
        ingests = (
            (
                record.get("ingest_run_id"),
                record.get("file"),
                record.get("outcome"),
                (record.get("silver") or {}).get("rows_valid"),
                (record.get("silver") or {}).get("rows_rejected"),
                ingest_reason(record),
            )
            for record in status.recent_ingests
        )
        console.print(table("Latest ingests", ("run id", "file", "outcome", "rows valid", "rows rejected", "reason"), ingests))
    last = status.last_compaction
    if last:
        style = "green" if last.get("status") == "ok" else "bold red"
        console.print(
            f"Last gold compaction {last.get('run_id')} ({last.get('mode')}): [{style}]{last.get('status')}[/] at "
            f"{last.get('ended_at')}, {describe_changes(last)}"
        )
    else:
        console.print("No gold compaction has run yet.")


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
