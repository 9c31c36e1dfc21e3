"""Glue entry point of the silver job: parse the job arguments, get the session, call retailctl.

``python glue_scripts/silver_job.py --lake ./lake [--files a.csv,b.csv]`` runs it on a local lake;
on Glue the same options come as job arguments (``--bucket``, ``--prefix``, ``--files``...).
Prints the batch result as JSON and exits 1 when a file was rejected whole.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from retailctl.jobs.glue_entry import COMMON_OPTIONS, job_config, job_session, parse_job_arguments
from retailctl.jobs.silver_runner import run_silver
from retailctl.storage import open_store

OPTIONS = (*COMMON_OPTIONS, "files")


def main(argv: list[str]) -> dict[str, Any]:
    """Run silver over validated/ (or the comma-separated ``--files``); returns the batch result."""
    options = parse_job_arguments(argv, OPTIONS, "retailctl silver job")
    config = job_config(options)
    names = [name for name in options.get("files", "").split(",") if name] or None
    result = run_silver(job_session(config), open_store(config), config, names)
    return result.to_dict()


if __name__ == "__main__":
    summary = main(sys.argv[1:])
    print(json.dumps(summary, indent=2, default=str))
    sys.exit(1 if any(entry["outcome"] == "rejected" for entry in summary["files"]) else 0)
