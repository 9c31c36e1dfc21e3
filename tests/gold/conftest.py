"""Fixtures shared by the gold tests."""

from __future__ import annotations

import pytest

from retailctl.jobs import gold_runner


@pytest.fixture(params=["in one task", "shuffled by key and date"])
def gold_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small silver with nothing to merge is compacted in one task; the second plan is the one larger runs take."""
    if request.param != "in one task":
        monkeypatch.setattr(gold_runner, "ONE_TASK_BYTES", -1)
    return str(request.param)
