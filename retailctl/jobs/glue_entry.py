"""What every Glue entry point shares: job arguments, the config they override, and the session.

On Glue (``awsglue`` importable) the arguments come from ``getResolvedOptions`` with full option
names and the session from the GlueContext; anywhere else the same options are parsed with argparse
and a local session is built, so the scripts in ``glue_scripts/`` also run on a local lake.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from retailctl.config import PipelineConfig, load_config
from retailctl.jobs.spark import BASE_CONF, build_session

COMMON_OPTIONS = ("backend", "bucket", "prefix", "dataset", "lake", "config")


def parse_job_arguments(argv: list[str], options: Sequence[str], description: str) -> dict[str, str]:
    """The job's options by name (only those given): Glue's resolver on Glue, argparse elsewhere."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        parser = argparse.ArgumentParser(description=description, allow_abbrev=False)
        for name in options:
            parser.add_argument(f"--{name}", dest=name)
        return {name: value for name, value in vars(parser.parse_args(argv)).items() if value is not None}
    argv = [sys.argv[0], *argv]
    present = [name for name in options if f"--{name}" in argv]
    resolved = getResolvedOptions(argv, present) if present else {}
    return {"backend": "aws", **{name: str(resolved.get(name.replace("-", "_"), resolved.get(name))) for name in present}}


def job_config(options: dict[str, str]) -> PipelineConfig:
    """The pipeline config, with the job's options taking precedence."""
    overrides = {
        "backend": options.get("backend"),
        "aws.bucket": options.get("bucket"),
        "aws.prefix": options.get("prefix"),
        "dataset": options.get("dataset"),
        "local.lake_root": options.get("lake"),
    }
    return load_config(options.get("config"), overrides)


def job_session(config: PipelineConfig, input_bytes: int = 0) -> Any:
    """The GlueContext's session on Glue (with retailctl's SQL settings), else a local one sized by ``input_bytes``."""
    try:
        from awsglue.context import GlueContext
    except ImportError:
        return build_session(config.spark, input_bytes)
    from pyspark import SparkContext

    spark = GlueContext(SparkContext.getOrCreate()).spark_session
    for key, value in BASE_CONF.items():
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)
    return spark
