"""Glue entry point of the silver job: parse the job arguments, get the session, call retailctl.

``python glue_scripts/silver_job.py --lake ./lake [--files '["a.csv", "b.csv"]']`` runs it on a local
lake; on Glue the same options come as job arguments (``--bucket``, ``--prefix``, ``--files``...).
``--files`` is a JSON list of names in validated/ (a comma-separated list is accepted too); without it
every waiting file is processed. Prints the result as JSON and exits 1 when a file was rejected whole.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from retailctl.jobs.glue_entry import COMMON_OPTIONS, job_config, job_session, parse_job_arguments
from retailctl.pipeline import run_silver_once_per_content
from retailctl.storage import open_store

OPTIONS = (*COMMON_OPTIONS, "files", "force")


def file_names(option: str) -> list[str] | None:
    """The names ``--files`` gives: a JSON list, or comma-separated; None when empty."""
    text = option.strip()
    names = json.loads(text) if text.startswith("[") else text.split(",")
    return [str(name) for name in names if name] or None


def main(argv: list[str]) -> dict[str, Any]:
    """Run silver over validated/ (or ``--files``), each distinct content once; returns the result."""
    options = parse_job_arguments(argv, OPTIONS, "retailctl silver job")
    config = job_config(options)
    result = run_silver_once_per_content(
        lambda input_bytes: job_session(config, input_bytes),
        open_store(config),
        config,
        file_names(options.get("files", "")),
        force=options.get("force", "false").lower() in ("true", "1", "yes"),
    )
    return result.to_dict()


if __name__ == "__main__":
    summary = main(sys.argv[1:])
    print(json.dumps(summary, indent=2, default=str))
    sys.exit(1 if any(entry["outcome"] == "rejected" for entry in summary["files"]) else 0)
