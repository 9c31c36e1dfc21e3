"""Start the deployed Glue jobs, wait for a run, and report how it ended."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from retailctl.aws._calls import aws_call, make_client
from retailctl.aws.cloudformation import stack_outputs
from retailctl.config import PipelineConfig
from retailctl.errors import JobFailed, UsageError

Job = Literal["silver", "gold"]

JOB_OUTPUTS: dict[str, str] = {"silver": "SilverJobName", "gold": "GoldJobName"}
JOB_SUFFIXES: dict[str, str] = {"silver": "silver", "gold": "gold-compaction"}
TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED"})


@dataclass(frozen=True)
class JobRunResult:
    """One Glue job run: its id, its last known state and, when it failed, why."""

    job_name: str
    run_id: str
    state: str
    error_message: str | None = None
    execution_seconds: int | None = None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    def raise_if_failed(self) -> JobRunResult:
        """Raise JobFailed when the run ended in any state but SUCCEEDED; else return self."""
        if self.finished and not self.succeeded:
            raise JobFailed(f"Glue job {self.job_name} run {self.run_id} ended {self.state}: {self.error_message or 'no message'}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_name": self.job_name,
            "run_id": self.run_id,
            "state": self.state,
            "error_message": self.error_message,
            "execution_seconds": self.execution_seconds,
        }


def job_name(config: PipelineConfig, job: Job, *, outputs: Mapping[str, str] | None = None) -> str:
    """The deployed name of ``job``: from the stack outputs when given, else ``<stack>-silver`` / ``<stack>-gold-compaction``."""
    if job not in JOB_OUTPUTS:
        raise UsageError(f"{job!r} is not a Glue job of retailctl (silver or gold)")
    from_outputs = (outputs or {}).get(JOB_OUTPUTS[job])
    return from_outputs or f"{config.aws.stack_name}-{JOB_SUFFIXES[job]}"


def glue_arguments(arguments: Mapping[str, Any]) -> dict[str, str]:
    """Glue job arguments: every name starts with ``--`` and every value is a string."""
    return {(name if name.startswith("--") else f"--{name}"): str(value) for name, value in arguments.items()}


def start_job_run(name: str, arguments: Mapping[str, Any] | None = None, *, region: str | None = None, client: Any = None) -> str:
    """Start a run of the Glue job ``name``; arguments override the job's defaults. Returns the run id."""
    client = client or make_client("glue", region)
    with aws_call(f"start Glue job {name}"):
        response = client.start_job_run(JobName=name, Arguments=glue_arguments(arguments or {}))
    return str(response["JobRunId"])


def job_run(name: str, run_id: str, *, region: str | None = None, client: Any = None) -> JobRunResult:
    """The current state of one run."""
    client = client or make_client("glue", region)
    with aws_call(f"read Glue job {name} run {run_id}"):
        run = client.get_job_run(JobName=name, RunId=run_id, PredecessorsIncluded=False)["JobRun"]
    return JobRunResult(
        job_name=name,
        run_id=run_id,
        state=str(run.get("JobRunState", "UNKNOWN")),
        error_message=run.get("ErrorMessage"),
        execution_seconds=run.get("ExecutionTime"),
    )


def wait_for_run(
    name: str,
    run_id: str,
    *,
    region: str | None = None,
    client: Any = None,
    poll_seconds: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
) -> JobRunResult:
    """Poll a run until it reaches a terminal state and return that final state."""
    client = client or make_client("glue", region)
    while True:
        result = job_run(name, run_id, client=client)
        if result.finished:
            return result
        sleep(poll_seconds)


def run_job(
    config: PipelineConfig,
    job: Job,
    arguments: Mapping[str, Any] | None = None,
    wait: bool = True,
    client: Any = None,
    *,
    outputs: Mapping[str, str] | None = None,
    cloudformation_client: Any = None,
    poll_seconds: float = 15.0,
) -> JobRunResult:
    """Run the deployed silver or gold Glue job with ``arguments`` and, when ``wait``, its final state.

    The job name comes from the stack outputs (read from CloudFormation unless ``outputs`` is given;
    a missing stack falls back to the template's naming). A failed run is returned, not raised:
    call ``raise_if_failed()`` on the result to turn it into JobFailed.
    """
    region = config.aws.region
    if outputs is None:
        outputs = stack_outputs(config.aws.stack_name, region=region, client=cloudformation_client) or {}
    name = job_name(config, job, outputs=outputs)
    client = client or make_client("glue", region)
    run_id = start_job_run(name, arguments, client=client)
    if not wait:
        return job_run(name, run_id, client=client)
    return wait_for_run(name, run_id, client=client, poll_seconds=poll_seconds)
