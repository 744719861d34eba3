"""The audit log of a lake table: one row per audit of a candidate version (write-audit-publish,
quality/publish.py). `LakeResource` is the only caller (it knows where the log lives)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import polars as pl

from retail_platform.resources.lake_progress import append_log_row

PUBLISHED, REJECTED = "published", "rejected"
AUDIT_SCHEMA = pl.Schema(
    {
        "status": pl.String,
        "version": pl.Int64,
        "run_id": pl.String,
        "checks": pl.String,
        "failed_checks": pl.String,
        "detail": pl.String,
        "rows": pl.Int64,
        "inputs": pl.String,
        "audited_at": pl.Datetime("us", "UTC"),
    }
)


@dataclass(frozen=True)
class AuditRecord:
    """One audit of a candidate version of a table."""

    status: str  # PUBLISHED (committed as `version`) or REJECTED (nothing committed)
    version: int | None  # the committed version; for a rejection, the version readers keep
    run_id: str
    checks: str  # the blocking checks run, comma-separated
    failed_checks: str = ""
    detail: str = ""  # for a rejection: the one-line failure message
    rows: int = 0
    inputs: str = ""  # published versions of the tables the audit compared with, "t=v, ..."
    audited_at: datetime | None = None


def append_audit_record(uri: str, options: dict[str, str], record: AuditRecord) -> None:
    """Append one record (one commit)."""
    row = asdict(record) | {"audited_at": record.audited_at or datetime.now(UTC)}
    append_log_row(uri, options, row, AUDIT_SCHEMA)


def audit_records(log: pl.LazyFrame) -> list[AuditRecord]:
    """The records of a log, oldest first."""
    rows = log.sort("audited_at").collect()
    return [AuditRecord(**row) for row in rows.rows(named=True)]
