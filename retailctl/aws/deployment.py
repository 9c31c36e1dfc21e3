"""``retailctl deploy``: build the artifacts, upload them, then create or update the stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retailctl.aws._calls import require_credentials
from retailctl.aws.artifacts import (
    ArtifactBundle,
    artifact_store,
    build_artifacts,
    ensure_artifact_bucket,
    full_key,
    upload_artifacts,
)
from retailctl.aws.cloudformation import StackResult, WaitSettings, deploy_stack
from retailctl.config import PipelineConfig
from retailctl.deploy import (
    ArtifactKeys,
    default_artifact_bucket,
    lint_template,
    stack_parameters,
    template_text,
)
from retailctl.errors import RetailctlError

STACK_TAGS = {"application": "retailctl"}


@dataclass(frozen=True)
class DeployPlan:
    """What a deploy would do, worked out without any AWS call."""

    stack_name: str
    region: str
    artifact_bucket: str
    bundle: ArtifactBundle
    artifact_uris: dict[str, str]
    parameters: dict[str, str]
    template: str
    lint_findings: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        artifacts = [
            artifact.to_dict() | {"uri": self.artifact_uris[artifact.name]} for artifact in self.bundle.artifacts
        ]
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "artifact_bucket": self.artifact_bucket,
            "artifact_version": self.bundle.version,
            "artifacts": artifacts,
            "parameters": self.parameters,
            "template_bytes": len(self.template.encode()),
            "lint_findings": None if self.lint_findings is None else list(self.lint_findings),
        }


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did."""

    plan: DeployPlan
    stack: StackResult
    artifact_bucket_created: bool
    uploaded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.plan.to_dict(),
            "artifact_bucket_created": self.artifact_bucket_created,
            "uploaded": list(self.uploaded),
            "stack_action": self.stack.action,
            "stack_status": self.stack.status,
            "stack_id": self.stack.stack_id,
            "outputs": self.stack.outputs,
        }


def plan_deploy(
    config: PipelineConfig,
    work_dir: Path,
    artifact_bucket: str | None = None,
    *,
    lint: bool = False,
    source: Path | None = None,
    parameters: Mapping[str, str] | None = None,
) -> DeployPlan:
    """Build the artifacts (from the ``source`` checkout, by default this one) into ``work_dir`` and work
    out the stack parameters (``parameters`` override any by name); lint the template when asked."""
    bucket = artifact_bucket or default_artifact_bucket(config)
    bundle = build_artifacts(work_dir, config.dataset, source)
    store = artifact_store(bucket, config.aws.prefix, region=config.aws.region)
    keys = {artifact.name: full_key(store, bundle.key(artifact)) for artifact in bundle.artifacts}
    artifact_keys = ArtifactKeys(
        bucket=bucket,
        lambda_code=keys[bundle.lambda_zip.name],
        glue_library=keys[bundle.glue_library.name],
        glue_jar=keys[bundle.glue_jar.name],
        silver_script=keys[bundle.silver_script.name],
        gold_script=keys[bundle.gold_script.name],
    )
    template = template_text()
    return DeployPlan(
        stack_name=config.aws.stack_name,
        region=config.aws.region,
        artifact_bucket=bucket,
        bundle=bundle,
        artifact_uris={artifact.name: store.uri(bundle.key(artifact)) for artifact in bundle.artifacts},
        parameters=stack_parameters(config, artifact_keys, parameters),
        template=template,
        lint_findings=tuple(lint_template(template, [config.aws.region])) if lint else None,
    )


def check_plan(plan: DeployPlan) -> DeployPlan:
    """Raise when the template has lint findings; they are retailctl bugs, never the user's."""
    if plan.lint_findings:
        raise RetailctlError(f"the stack template fails cfn-lint ({len(plan.lint_findings)}): " + "; ".join(plan.lint_findings))
    return plan


def deploy(
    config: PipelineConfig,
    work_dir: Path,
    artifact_bucket: str | None = None,
    *,
    s3_client: Any = None,
    cloudformation_client: Any = None,
    wait: WaitSettings | None = None,
    source: Path | None = None,
    parameters: Mapping[str, str] | None = None,
) -> DeployResult:
    """Upload the artifacts (creating the artifact bucket when needed) and create or update the stack."""
    if s3_client is None or cloudformation_client is None:
        require_credentials(config.aws.region)
    plan = plan_deploy(config, work_dir, artifact_bucket, source=source, parameters=parameters)
    created = ensure_artifact_bucket(plan.artifact_bucket, region=config.aws.region, client=s3_client)
    store = artifact_store(plan.artifact_bucket, config.aws.prefix, region=config.aws.region, client=s3_client)
    uploaded = upload_artifacts(plan.bundle, store)
    stack = deploy_stack(
        plan.stack_name,
        plan.template,
        plan.parameters,
        region=config.aws.region,
        tags=STACK_TAGS,
        client=cloudformation_client,
        wait=wait,
    )
    return DeployResult(plan, stack, created, tuple(uploaded))
