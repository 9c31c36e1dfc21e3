"""Create or update a CloudFormation stack, wait for it, and read its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from retailctl.aws._calls import aws_call, error_code, make_client, translate
from retailctl.errors import AwsError

StackAction = Literal["created", "updated", "unchanged"]

MAX_TEMPLATE_BODY = 51_200
CAPABILITIES = ("CAPABILITY_IAM",)
UNRECOVERABLE = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED"})


@dataclass(frozen=True)
class StackResult:
    """What a deploy did and the stack's outputs afterwards."""

    stack_name: str
    action: StackAction
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    stack_id: str = ""


@dataclass(frozen=True)
class WaitSettings:
    """How often and how long to poll a stack operation."""

    delay_seconds: int = 10
    max_attempts: int = 360


def describe_stack(stack_name: str, *, region: str | None = None, client: Any = None) -> dict[str, Any] | None:
    """The stack description, or None when no stack of that name exists."""
    client = client or make_client("cloudformation", region)
    try:
        response = client.describe_stacks(StackName=stack_name)
    except (ClientError, BotoCoreError) as exc:
        if _is_validation_error(exc, "does not exist"):
            return None
        raise translate(exc, f"describe stack {stack_name}") from exc
    stacks: list[dict[str, Any]] = response.get("Stacks", [])
    return stacks[0] if stacks else None


def stack_outputs(stack_name: str, *, region: str | None = None, client: Any = None) -> dict[str, str] | None:
    """The stack's outputs as ``{OutputKey: OutputValue}``, or None when the stack does not exist."""
    stack = describe_stack(stack_name, region=region, client=client)
    return None if stack is None else _outputs(stack)


def deploy_stack(
    stack_name: str,
    template_body: str,
    parameters: Mapping[str, str],
    *,
    region: str | None = None,
    tags: Mapping[str, str] | None = None,
    client: Any = None,
    wait: WaitSettings | None = None,
) -> StackResult:
    """Create the stack, or update it when it exists; wait until done. "No updates" is success."""
    if len(template_body.encode()) > MAX_TEMPLATE_BODY:
        raise AwsError(f"the template is {len(template_body.encode())} bytes, over the {MAX_TEMPLATE_BODY} a stack accepts inline")
    client = client or make_client("cloudformation", region)
    wait = wait or WaitSettings()
    existing = describe_stack(stack_name, client=client)
    if existing is not None and existing["StackStatus"] in UNRECOVERABLE:
        raise AwsError(
            f"stack {stack_name} is {existing['StackStatus']} and cannot be updated: delete it "
            f"(aws cloudformation delete-stack --stack-name {stack_name}) and deploy again; the data bucket is retained"
        )
    request: dict[str, Any] = {
        "StackName": stack_name,
        "TemplateBody": template_body,
        "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        "Capabilities": list(CAPABILITIES),
        "Tags": [{"Key": key, "Value": value} for key, value in (tags or {}).items()],
    }
    if existing is None:
        with aws_call(f"create stack {stack_name}"):
            client.create_stack(**request, OnFailure="ROLLBACK")
        action: StackAction = "created"
        waiter_name = "stack_create_complete"
    else:
        try:
            client.update_stack(**request)
        except (ClientError, BotoCoreError) as exc:
            if _is_validation_error(exc, "No updates are to be performed"):
                return StackResult(stack_name, "unchanged", existing["StackStatus"], _outputs(existing), existing["StackId"])
            raise translate(exc, f"update stack {stack_name}") from exc
        action = "updated"
        waiter_name = "stack_update_complete"
    try:
        client.get_waiter(waiter_name).wait(
            StackName=stack_name, WaiterConfig={"Delay": wait.delay_seconds, "MaxAttempts": wait.max_attempts}
        )
    except WaiterError as exc:
        reasons = failure_reasons(stack_name, client=client)
        detail = "; ".join(reasons) if reasons else str(exc)
        raise AwsError(f"stack {stack_name} was not {action}: {detail}") from exc
    final = describe_stack(stack_name, client=client) or {}
    return StackResult(stack_name, action, final.get("StackStatus", ""), _outputs(final), final.get("StackId", ""))


def failure_reasons(stack_name: str, *, client: Any, limit: int = 5) -> list[str]:
    """The latest resource failures of a stack, newest first, as ``LogicalId: reason`` lines."""
    with aws_call(f"read the events of stack {stack_name}"):
        events = client.describe_stack_events(StackName=stack_name).get("StackEvents", [])
    failed = [
        f"{event.get('LogicalResourceId')}: {event.get('ResourceStatusReason')}"
        for event in events
        if str(event.get("ResourceStatus", "")).endswith("FAILED") and event.get("ResourceStatusReason")
    ]
    return failed[:limit]


def _outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    return {item["OutputKey"]: str(item.get("OutputValue", "")) for item in stack.get("Outputs", []) or []}


def _is_validation_error(exc: Exception, text: str) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) == "ValidationError" and text in str(exc)
