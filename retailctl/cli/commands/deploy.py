"""`retailctl deploy`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from retailctl.cli import render
from retailctl.cli.state import app_state

if TYPE_CHECKING:
    from retailctl.aws.deployment import DeployPlan, DeployResult


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy_command)


def deploy_command(
    ctx: typer.Context,
    stack_name: Annotated[str | None, typer.Option("--stack-name", help="CloudFormation stack name (default: aws.stack_name).")] = None,
    alert_email: Annotated[str | None, typer.Option("--alert-email", help="Subscribe this address to the alert topic.")] = None,
    with_crawler: Annotated[bool, typer.Option("--with-crawler", help="Also create a Glue crawler over gold/ for Athena.")] = False,
    artifact_bucket: Annotated[str | None, typer.Option("--artifact-bucket", help="Bucket for the code artifacts (default: <bucket>-artifacts, created if missing).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Lint the template, show parameters and artifacts; no AWS call.")] = False,
    parameter: Annotated[list[str] | None, typer.Option("--parameter", "-p", help="Set any stack parameter, e.g. -p SilverSweepSchedule='cron(0/15 * * * ? *)' (repeatable).", metavar="NAME=VALUE")] = None,
    source: Annotated[Path | None, typer.Option("--source", help="The retailctl checkout to package (default: the one running).", file_okay=False, exists=True)] = None,
) -> None:
    """Create or update the AWS stack (bucket, Lambda, Glue jobs, SNS, alarms) from the CloudFormation template."""
    # boto3 and the template tools load only for this command: a quarter of a second off every other one
    from retailctl.aws.deployment import check_plan, deploy, plan_deploy

    state = app_state(ctx)
    state.overrides.update({
        "aws.stack_name": stack_name,
        "aws.alert_email": alert_email,
        "aws.create_crawler": True if with_crawler else None,
    })
    config = state.config
    overrides = _parameter_overrides(parameter or [])
    with tempfile.TemporaryDirectory(prefix="retailctl-deploy-") as work_dir:
        if dry_run:
            plan = check_plan(plan_deploy(config, Path(work_dir), artifact_bucket, lint=True, source=source, parameters=overrides))
            _show(plan.to_dict() | {"dry_run": True}, plan, state.json)
            return
        result = deploy(config, Path(work_dir), artifact_bucket, source=source, parameters=overrides)
    _show(result.to_dict() | {"dry_run": False}, result.plan, state.json, result)


def _parameter_overrides(pairs: list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--parameter")
        overrides[name.strip()] = value
    return overrides


def _show(payload: dict[str, object], plan: DeployPlan, as_json: bool, result: DeployResult | None = None) -> None:
    if as_json:
        render.emit_json(payload)
        return
    console = render.console
    first = plan.bundle.lambda_zip
    location = plan.artifact_uris[first.name].removesuffix(first.name)
    console.print(f"[bold]stack[/] {plan.stack_name} in {plan.region}; artifacts in {location}")
    uploaded = set(result.uploaded) if result else set()
    console.print(render.table(
        "artifacts" if result else "artifacts (would upload)",
        ["artifact", "bytes", "sha256", *(["uploaded"] if result else [])],
        [
            [a.name, a.size, a.sha256[:12], *(["yes" if a.name in uploaded else "already there"] if result else [])]
            for a in plan.bundle.artifacts
        ],
    ))
    console.print(render.table("stack parameters", ["parameter", "value"], sorted(plan.parameters.items())))
    if result is None:
        console.print("[green]template passes cfn-lint[/]; nothing was sent to AWS (--dry-run)")
        return
    if result.artifact_bucket_created:
        console.print(f"created artifact bucket {plan.artifact_bucket}")
    console.print(render.table("stack outputs", ["output", "value"], sorted(result.stack.outputs.items())))
    console.print(f"[green]stack {result.stack.action}[/] ({result.stack.status})")
