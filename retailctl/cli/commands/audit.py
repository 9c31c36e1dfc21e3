"""`retailctl audit show` (also spelled `retailctl audit-report`)."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet

audit_app = typer.Typer(help="Audit records: compaction runs, partition metrics, ingest records, invariants.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.command("audit-report")(audit_report_command)
    audit_app.command("show")(audit_report_command)


def audit_report_command() -> None:
    """The last compaction run, per-partition metrics, ingest records and the invariants checked live."""
    raise NotBuiltYet("audit-report")
