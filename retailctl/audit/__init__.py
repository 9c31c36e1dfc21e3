"""Audit: read the pipeline's audit records, build the report and check the invariants live."""

from retailctl.audit.report import AuditReport, Invariant, build_report, check_invariants

__all__ = ["AuditReport", "Invariant", "build_report", "check_invariants"]
