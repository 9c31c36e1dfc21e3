"""Sample AWS events as JSON files, loaded by :func:`load_event`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent


def load_event(name: str, bucket: str | None = None) -> dict[str, Any]:
    """The sample event ``<name>.json``, its bucket name replaced by ``bucket`` when given."""
    text = (EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8")
    if bucket:
        text = text.replace("retail-sales-demo-s3", bucket)
    event: dict[str, Any] = json.loads(text)
    return event
