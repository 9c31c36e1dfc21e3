"""The file validator shared by the Lambda and the CLI (standard library only).

Reason codes and what they mean are tabled in :mod:`retailctl.validation.detect`.
"""

from retailctl.validation.detect import REASON_CODES, Detected, InvalidFile, inspect_head
from retailctl.validation.validator import (
    ValidationOutcome,
    describe_in_place,
    validate_key,
    validate_pending,
    validation_record,
)

__all__ = [
    "REASON_CODES",
    "Detected",
    "InvalidFile",
    "ValidationOutcome",
    "describe_in_place",
    "inspect_head",
    "validate_key",
    "validate_pending",
    "validation_record",
]
