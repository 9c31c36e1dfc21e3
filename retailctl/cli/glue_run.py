"""Running the silver or gold job on AWS Glue (``--backend aws``) from the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from retailctl.aws.glue import Job, run_job
from retailctl.cli.render import console, emit_json
from retailctl.cli.state import AppState


def run_on_glue(state: AppState, job: Job, arguments: Mapping[str, Any]) -> None:
    """Start the deployed Glue job, wait for it, report how it ended; JobFailed (exit 1) when it failed."""
    with console.status(f"Glue job {job} running on AWS") if console.is_terminal else nullcontext():
        result = run_job(state.config, job, arguments)
    if state.json:
        emit_json(result.to_dict())
    else:
        console.print(f"Glue job {result.job_name} run {result.run_id}: {result.state} ({result.execution_seconds or 0} s)")
    result.raise_if_failed()
