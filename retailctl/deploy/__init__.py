"""The CloudFormation template shipped with retailctl, its parameters, and its lint check."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from retailctl.config import PipelineConfig
from retailctl.errors import EnvironmentProblem

TEMPLATE_NAME = "template.yaml"


@dataclass(frozen=True)
class ArtifactKeys:
    """Where the deploy put the code, as bucket keys in the artifact bucket."""

    bucket: str
    lambda_code: str
    glue_library: str
    silver_script: str
    gold_script: str


def template_text() -> str:
    """The stack template as shipped in the package."""
    return (resources.files("retailctl.deploy") / TEMPLATE_NAME).read_text(encoding="utf-8")


def stack_parameters(config: PipelineConfig, keys: ArtifactKeys) -> dict[str, str]:
    """The template's parameters for ``config``; parameters left out keep the template's defaults."""
    return {
        "BucketName": config.aws.bucket,
        "DataPrefix": config.aws.prefix,
        "Dataset": config.dataset.name,
        "AlertEmail": config.aws.alert_email or "",
        "CreateCrawler": "true" if config.aws.create_crawler else "false",
        "ValidationHeadBytes": str(config.limits.validation_head_bytes),
        "ArtifactBucket": keys.bucket,
        "LambdaCodeKey": keys.lambda_code,
        "GlueLibraryKey": keys.glue_library,
        "SilverScriptKey": keys.silver_script,
        "GoldScriptKey": keys.gold_script,
    }


def default_artifact_bucket(config: PipelineConfig) -> str:
    """``<data bucket>-artifacts``: where deploy uploads code unless told otherwise."""
    return f"{config.aws.bucket}-artifacts"


def lint_template(text: str | None = None, regions: list[str] | None = None) -> list[str]:
    """cfn-lint's findings on the template (empty when clean), one ``line:col rule message`` each."""
    try:
        from cfnlint.api import lint
    except ImportError as exc:
        raise EnvironmentProblem("checking the template needs cfn-lint: pip install cfn-lint") from exc
    matches = lint(text if text is not None else template_text(), regions=regions or ["us-east-1"])
    return [f"{m.linenumber}:{m.columnnumber} {m.rule.id} {m.message}" for m in matches]
