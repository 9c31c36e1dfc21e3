"""Notifiers: where failures are announced. Locally a log line and a record under audit/notifications/."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from retailctl import layout
from retailctl.storage import ObjectStore, write_json

log = logging.getLogger("retailctl.notify")


class Notifier(Protocol):
    """Anything that can announce an event (a failure, mostly) to the people running the pipeline."""

    def notify(self, subject: str, detail: dict[str, Any]) -> None: ...


class LocalNotifier:
    """Logs a warning and writes the notification as JSON at ``layout.notification_key(id)``."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def notify(self, subject: str, detail: dict[str, Any]) -> None:
        notification_id = str(detail.get("run_id") or layout.new_run_id())
        key = layout.notification_key(notification_id)
        log.warning("%s (details: %s)", subject, key)
        write_json(
            self.store,
            key,
            {"subject": subject, "detail": detail, "notified_at": datetime.now(UTC).isoformat()},
        )
