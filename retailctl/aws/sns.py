"""Alerts on the stack's SNS topic, with the same ``notify`` method as the local notifier."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from retailctl.aws._calls import aws_call, make_client

MAX_SUBJECT = 100
MAX_MESSAGE_BYTES = 256 * 1024 - 1024
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


class SnsNotifier:
    """Publishes one message per failure to an SNS topic; the client is built on first use."""

    def __init__(self, topic_arn: str, client: Any = None, *, region: str | None = None) -> None:
        self.topic_arn = topic_arn
        self.region = region or _region_of(topic_arn)
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("sns", self.region)
        return self._client

    def notify(self, subject: str, detail: dict[str, Any]) -> None:
        """Publish ``detail`` as indented JSON under ``subject`` (trimmed to what SNS accepts)."""
        with aws_call(f"publish to SNS topic {self.topic_arn}"):
            self.client.publish(TopicArn=self.topic_arn, Subject=sns_subject(subject), Message=sns_message(detail))


def sns_subject(subject: str) -> str:
    """A subject SNS accepts: printable ASCII on one line, at most 100 characters, never empty."""
    ascii_text = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode()
    cleaned = " ".join(_UNPRINTABLE.sub(" ", ascii_text).split()) or "retailctl alert"
    return cleaned if len(cleaned) <= MAX_SUBJECT else cleaned[: MAX_SUBJECT - 3] + "..."


def sns_message(detail: dict[str, Any]) -> str:
    """``detail`` as JSON; when over the SNS size limit, long values are cut and the cut is marked."""
    message = json.dumps(detail, indent=2, ensure_ascii=False, default=str)
    if len(message.encode()) <= MAX_MESSAGE_BYTES:
        return message
    budget = MAX_MESSAGE_BYTES // (4 * (len(detail) + 1))
    trimmed = {key: _shorten(value, budget) for key, value in detail.items()}
    trimmed["truncated"] = True
    return json.dumps(trimmed, indent=2, ensure_ascii=False, default=str)


def _shorten(value: Any, budget: int) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= budget else text[:budget] + f"... [{len(text) - budget} characters cut]"


def _region_of(topic_arn: str) -> str | None:
    parts = topic_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None
