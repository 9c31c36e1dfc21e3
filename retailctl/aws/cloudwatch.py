"""Pipeline metrics in CloudWatch: rows valid and rejected, files rejected, per pipeline (stack)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from retailctl.aws._calls import aws_call, make_client
from retailctl.config import PipelineConfig

NAMESPACE = "Retailctl"
"""Must match the template's Names/Metrics/Namespace mapping (the alarms and IAM conditions use it)."""

MAX_METRICS_PER_CALL = 1000


class CloudWatchMetrics:
    """A metrics sink: every metric carries the dimension ``Pipeline=<stack name>``."""

    def __init__(self, pipeline: str, client: Any = None, *, namespace: str = NAMESPACE, region: str | None = None) -> None:
        self.pipeline = pipeline
        self.namespace = namespace
        self.region = region
        self._client = client

    @classmethod
    def from_config(cls, config: PipelineConfig, client: Any = None) -> CloudWatchMetrics:
        return cls(config.aws.stack_name, client, region=config.aws.region)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("cloudwatch", self.region)
        return self._client

    def put(self, values: Mapping[str, float], *, unit: str = "Count", when: datetime | None = None) -> None:
        """Send one datum per metric name in ``values``."""
        timestamp = when or datetime.now(UTC)
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Pipeline", "Value": self.pipeline}],
                "Timestamp": timestamp,
                "Value": float(value),
                "Unit": unit,
            }
            for name, value in values.items()
        ]
        with aws_call(f"put metrics in CloudWatch namespace {self.namespace}"):
            for start in range(0, len(data), MAX_METRICS_PER_CALL):
                self.client.put_metric_data(Namespace=self.namespace, MetricData=data[start : start + MAX_METRICS_PER_CALL])

    def record_ingest(self, *, rows_valid: int = 0, rows_rejected: int = 0, files_rejected: int = 0) -> None:
        """The pipeline's counters: ``RowsValid``, ``RowsRejected`` and ``FilesRejected`` (alarmed on)."""
        self.put({"RowsValid": rows_valid, "RowsRejected": rows_rejected, "FilesRejected": files_rejected})
