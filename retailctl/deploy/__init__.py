"""The CloudFormation template shipped with retailctl, its parameters, and its lint check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from retailctl.config import PipelineConfig
from retailctl.errors import EnvironmentProblem, UsageError

TEMPLATE_NAME = "template.yaml"


@dataclass(frozen=True)
class ArtifactKeys:
    """Where the deploy put the code, as bucket keys in the artifact bucket."""

    bucket: str
    lambda_code: str
    glue_library: str
    glue_jar: str
    silver_script: str
    gold_script: str


def template_text() -> str:
    """The stack template as shipped in the package."""
    return (resources.files("retailctl.deploy") / TEMPLATE_NAME).read_text(encoding="utf-8")


class _TemplateLoader(yaml.SafeLoader):
    """Reads a CloudFormation template, keeping the value under each ``!Ref``-style tag."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _tagged)


def parsed_template() -> dict[str, Any]:
    """The template as data; an intrinsic function tag (``!Ref x``) reads as its argument (``x``)."""
    parsed: dict[str, Any] = yaml.load(template_text(), Loader=_TemplateLoader)
    return parsed


def stack_parameters(
    config: PipelineConfig, keys: ArtifactKeys, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The template's parameters for ``config``, then ``overrides`` (any template parameter by name);
    parameters left out keep the template's defaults."""
    declared = parsed_template()["Parameters"]
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        raise UsageError(f"unknown stack parameter {', '.join(unknown)} (known: {', '.join(sorted(declared))})")
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
        "GlueJarKey": keys.glue_jar,
        "SilverScriptKey": keys.silver_script,
        "GoldScriptKey": keys.gold_script,
        **(overrides or {}),
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
