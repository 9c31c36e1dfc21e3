"""Glue entry point of gold compaction: parse the job arguments, get the session, call retailctl.

On Glue (``awsglue`` importable) the arguments come from ``getResolvedOptions`` and the session from the
GlueContext; anywhere else the same options are parsed with argparse and a local session is built, so
``python glue_scripts/gold_compaction_job.py --lake ./lake`` runs the job on a local lake.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from retailctl.config import PipelineConfig, load_config
from retailctl.jobs.gold_runner import run_gold_compaction
from retailctl.jobs.spark import BASE_CONF, build_session
from retailctl.notify import LocalNotifier, Notifier
from retailctl.storage import open_store

OPTIONS = ("backend", "bucket", "prefix", "dataset", "lake", "config", "full", "dates", "alert-topic-arn")


def parse_arguments(argv: list[str]) -> dict[str, str]:
    """The job's options by name: Glue's resolver when running on Glue, argparse otherwise."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        parser = argparse.ArgumentParser(description="retailctl gold compaction")
        for name in OPTIONS:
            parser.add_argument(f"--{name}", dest=name)
        return {name: value for name, value in vars(parser.parse_args(argv)).items() if value is not None}
    argv = [sys.argv[0], *argv]
    present = [name for name in OPTIONS if f"--{name}" in argv]
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


def _session(config: PipelineConfig) -> Any:
    try:
        from awsglue.context import GlueContext
    except ImportError:
        return build_session(config.spark)
    from pyspark import SparkContext

    spark = GlueContext(SparkContext.getOrCreate()).spark_session
    for key, value in BASE_CONF.items():
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)
    return spark


def _notifier(options: dict[str, str], config: PipelineConfig) -> Notifier:
    topic = options.get("alert-topic-arn")
    if topic:
        from retailctl.aws.sns import SnsNotifier

        return SnsNotifier(topic, region=config.aws.region)
    return LocalNotifier(open_store(config))


def main(argv: list[str]) -> dict[str, Any]:
    """Run one compaction as the options say; returns the run summary (raises CompactionFailed)."""
    options = parse_arguments(argv)
    config = job_config(options)
    summary = run_gold_compaction(
        _session(config),
        open_store(config),
        config,
        full=options.get("full", "false").lower() in ("true", "1", "yes"),
        dates=options.get("dates") or None,
        notifier=_notifier(options, config),
    )
    result = summary.to_dict()
    print(json.dumps({key: value for key, value in result.items() if key != "partitions_skipped"}, default=str))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
