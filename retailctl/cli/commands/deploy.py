"""`retailctl deploy`."""

from __future__ import annotations

import typer

from retailctl.errors import NotBuiltYet


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy_command)


def deploy_command() -> None:
    """Create or update the AWS stack (bucket, Lambda, Glue jobs, SNS, alarms) from the CloudFormation template."""
    raise NotBuiltYet("deploy")
