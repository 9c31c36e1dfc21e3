"""Glue entry point of gold compaction: parse the job arguments, get the session, call retailctl.

On Glue (``awsglue`` importable) the arguments come from ``getResolvedOptions`` and the session from the
GlueContext; anywhere else the same options are parsed with argparse and a local session is built, so
``python glue_scripts/gold_compaction_job.py --lake ./lake`` runs the job on a local lake.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from retailctl.config import PipelineConfig
from retailctl.jobs.glue_entry import COMMON_OPTIONS, job_config, job_session, parse_job_arguments
from retailctl.jobs.gold_runner import run_gold_compaction
from retailctl.notify import LocalNotifier, Notifier
from retailctl.storage import open_store

OPTIONS = (*COMMON_OPTIONS, "full", "dates", "alert-topic-arn")


def _notifier(options: dict[str, str], config: PipelineConfig) -> Notifier:
    topic = options.get("alert-topic-arn")
    if topic:
        from retailctl.aws.sns import SnsNotifier

        return SnsNotifier(topic, region=config.aws.region)
    return LocalNotifier(open_store(config))


def main(argv: list[str]) -> dict[str, Any]:
    """Run one compaction as the options say; returns the run summary (raises CompactionFailed)."""
    options = parse_job_arguments(argv, OPTIONS, "retailctl gold compaction")
    config = job_config(options)
    summary = run_gold_compaction(
        job_session(config),
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
