"""Every key of the bucket layout, built in this one module, and the run ids.

Keys are relative to the store root (a lake directory, or a bucket plus optional prefix). A file
*name* is the part of a key after its layer prefix (``raw/a/b.csv`` has the name ``a/b.csv``).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime
from urllib.parse import quote

RAW = "raw/"
VALIDATED = "validated/"
REJECTED_SYSTEM = "rejected/system/"
REJECTED_DQ = "rejected/data_quality/"
REJECTED_DQ_JSON = "rejected/data_quality/json/"
REJECTED_DQ_CSV = "rejected/data_quality/csv/"
PROCESSED = "processed/"
GOLD = "gold/"
AUDIT = "audit/"
ARCHIVE_VALIDATED = "archive/validated/"
ARCHIVE_DUPLICATES = "archive/duplicates/"
STAGING = "_staging/"

REASON_SUFFIX = "_reason.json"
SYSTEM_HISTORY = "_history/"
LAYERS: tuple[str, ...] = (RAW, VALIDATED, REJECTED_SYSTEM, REJECTED_DQ, PROCESSED, GOLD, AUDIT, ARCHIVE_VALIDATED)

_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``20261125T180102Z-3f9a1c2b``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}Z-{secrets.token_hex(4)}"


def is_run_id(value: str) -> bool:
    """True when ``value`` has the shape of a run id from :func:`new_run_id`."""
    return bool(_RUN_ID.match(value))


def name_in(layer: str, key: str) -> str:
    """The file name of ``key`` inside ``layer`` (``name_in(RAW, "raw/x.csv") == "x.csv"``)."""
    if not key.startswith(layer):
        raise ValueError(f"{key!r} is not under {layer!r}")
    return key[len(layer):]


def raw_key(name: str) -> str:
    return RAW + name


def plain_name(key: str) -> str:
    """The name a raw/ object goes by when its key is one a store refuses (S3 holds keys such as a Windows path's
    ``raw/a\\b.csv`` or a sloppy join's ``raw//b.csv``): its name as one percent-encoded segment, spaces kept
    (``a%5Cb.csv``, ``%2Fb.csv``)."""
    return quote(name_in(RAW, key), safe=" ")


def renamed_key(name: str) -> str:
    """Where an object renamed to :func:`plain_name` waits to be validated: outside raw/, so that the copy
    raises no event of its own."""
    return f"{staging_prefix('validation', 'renamed')}{name}"


def validated_key(name: str) -> str:
    return VALIDATED + name


def system_reject_key(name: str) -> str:
    return REJECTED_SYSTEM + name


def system_reason_key(name: str) -> str:
    """``rejected/system/<name>_reason.json``: why the file was rejected whole."""
    return REJECTED_SYSTEM + name + REASON_SUFFIX


def is_reason_key(key: str) -> bool:
    return key.endswith(REASON_SUFFIX)


def system_reason_history_key(name: str, run_id: str) -> str:
    """Where an earlier reason JSON is kept when the file is replayed."""
    return f"{REJECTED_SYSTEM}{SYSTEM_HISTORY}{name}_{run_id}{REASON_SUFFIX}"


def system_reject_history_key(name: str, run_id: str) -> str:
    """Where an earlier rejected file of the same name is kept when a new one arrives."""
    return f"{REJECTED_SYSTEM}{SYSTEM_HISTORY}{name}_{run_id}"


def dq_json_key(run_id: str) -> str:
    return f"{REJECTED_DQ_JSON}ingest_run_id={run_id}/part-0000.json"


def dq_csv_key(run_id: str) -> str:
    return f"{REJECTED_DQ_CSV}ingest_run_id={run_id}/part-0000.csv"


def dq_replayed_marker_key(run_id: str) -> str:
    """Marks a run's row rejects as replayed (the rejects themselves are kept)."""
    return f"{REJECTED_DQ}replayed/ingest_run_id={run_id}.json"


def partition_value(day: date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()


def partition_under(base: str, day: date | str, partition_name: str = "date") -> str:
    """The ``<name>=<day>/`` folder of a date-partitioned dataset rooted at ``base``."""
    return f"{base}{partition_name}={partition_value(day)}/"


def processed_partition(day: date | str, partition_name: str = "date") -> str:
    return partition_under(PROCESSED, day, partition_name)


def gold_table_prefix(table: str = "fact_sales") -> str:
    return f"{GOLD}{table}/"


def gold_partition(day: date | str, table: str = "fact_sales", partition_name: str = "date") -> str:
    return partition_under(gold_table_prefix(table), day, partition_name)


def gold_metrics_key(day: date | str) -> str:
    return f"{AUDIT}gold_compaction/date={partition_value(day)}/metrics.json"


def gold_summary_key() -> str:
    return f"{AUDIT}gold_compaction/last_run_summary.json"


def gold_run_summary_key(run_id: str) -> str:
    """Every compaction run's summary, kept beside the last one."""
    return f"{AUDIT}gold_compaction/runs/{run_id}.json"


def gold_watermark_key() -> str:
    """What silver data the last successful compaction has seen."""
    return f"{AUDIT}gold_compaction/watermark.json"


def gold_audit_prefix() -> str:
    """Everything gold compaction records: metrics, summaries, watermark."""
    return f"{AUDIT}gold_compaction/"


def gold_staging_area(run_id: str, area: str) -> str:
    """One area (``gold``, ``replaced``) of a compaction run's staging."""
    return f"{staging_prefix('gold', run_id)}{area}/"


def gold_file_name(run_id: str, number: int) -> str:
    """The name of a gold parquet file written by ``run_id``."""
    return f"part-{number:05d}-{run_id}.snappy.parquet"


def archive_key(name: str, run_id: str, when: datetime) -> str:
    """``archive/validated/<original_filename>_<YYYYMMDDTHHMMSS>_<ingest_run_id>``."""
    return f"{ARCHIVE_VALIDATED}{name}_{when.astimezone(UTC):%Y%m%dT%H%M%S}_{run_id}"


def duplicate_archive_key(name: str, run_id: str, when: datetime) -> str:
    """Where a file whose exact bytes were ingested before is kept (``archive/duplicates/...``)."""
    return f"{ARCHIVE_DUPLICATES}{name}_{when.astimezone(UTC):%Y%m%dT%H%M%S}_{run_id}"


def validation_record_key(name: str) -> str:
    """What the validator detected for ``validated/<name>``, read by the silver job."""
    return f"{AUDIT}validation/{name}.json"


def ingest_record_key(run_id: str) -> str:
    """The per-file ingest record: validation, row counts, rejects by rule, outcome."""
    return f"{AUDIT}ingest/ingest_run_id={run_id}.json"


def ingest_records_prefix() -> str:
    return f"{AUDIT}ingest/"


def ledger_key(sha256: str) -> str:
    """The content-hash ledger entry of an accepted file (written create-if-absent)."""
    return f"{AUDIT}ledger/sha256={sha256}.json"


def notification_key(run_id: str) -> str:
    """A failure notification recorded by the local notifier."""
    return f"{AUDIT}notifications/{run_id}.json"


def staging_prefix(job: str, run_id: str) -> str:
    """Scratch space of one job run; removed on success and on failure."""
    return f"{STAGING}{job}/{run_id}/"


def artifact_key(version: str, name: str) -> str:
    """A deployed code artifact, ``artifacts/<version>/<name>``, in the artifact bucket (not the lake)."""
    return f"artifacts/{version}/{name}"
