"""`retailctl audit show` (also spelled `retailctl audit-report`)."""

from __future__ import annotations

from typing import Any

import typer

from retailctl.audit import AuditReport, build_report
from retailctl.cli.render import console, emit_json, table
from retailctl.cli.state import app_state
from retailctl.errors import EXIT_FAILED
from retailctl.jobs.gold_runner import describe_changes

audit_app = typer.Typer(help="Audit records: compaction runs, partition metrics, ingest records, invariants.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.command("audit-report")(audit_report_command)
    audit_app.command("show")(audit_report_command)


def audit_report_command(ctx: typer.Context) -> None:
    """The last compaction run, per-partition metrics, ingest records and the invariants checked live."""
    state = app_state(ctx)
    report = build_report(state.store, state.config)
    if state.json:
        emit_json(report.to_dict())
    else:
        render_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def render_report(report: AuditReport) -> None:
    """Rich tables: last run, partitions, ingest records, invariants."""
    run = report.last_run
    if run is None:
        console.print("No gold compaction has run yet.")
    else:
        status = "[green]ok[/]" if run.get("status") == "ok" else f"[bold red]{run.get('status')}[/]"
        console.print(
            f"Last gold compaction {run.get('run_id')} ({run.get('mode')}): {status}, {run.get('duration_seconds')} s, "
            f"{describe_changes(run)}, {len(run.get('partitions_skipped') or [])} skipped"
        )
        for error in run.get("errors") or []:
            console.print(f"  [red]{error.get('error')}[/]")
    if report.partitions:
        console.print(table("Gold partitions (latest metrics)", _PARTITION_COLUMNS, [_partition_row(item) for item in report.partitions]))
    if report.ingest:
        console.print(
            table(
                "Ingest records",
                ("run", "file", "outcome", "read", "valid", "rejected", "rejects by rule"),
                [(r["ingest_run_id"], r["file"], r["outcome"], r["rows_read"], r["rows_valid"], r["rows_rejected"],
                  ", ".join(f"{rule} {n}" for rule, n in r["rejects_by_rule"].items()) or "-") for r in report.ingest],
            )
        )
    console.print(
        table(
            "Invariants (checked now)",
            ("invariant", "holds", "detail"),
            [(item.name, "[green]yes[/]" if item.ok else "[bold red]NO[/]", item.detail) for item in report.invariants],
        )
    )


_PARTITION_COLUMNS = ("date", "run", "rows in", "rows out", "duplicates", "moved out", "files in", "files out", "of them kept", "bytes out")


def _partition_row(item: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(item.get(name) for name in (
        "date", "run_id", "rows_in", "rows_out", "duplicates_removed", "rows_moved_out", "files_in", "files_out", "files_kept", "bytes_out"))
