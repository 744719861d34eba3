"""What a consumer has read of a Delta table: progress records and the batches changed since.

An incremental consumer (silver, docs/data-model.md "Incremental refresh") records, after its
own audited commits, the version of the bronze table it consumed. The next run asks which
ingestion batches (`_batch_id`) have rows in the data files that entered or left the table
since that version: the files of version W that version V lacks hold every row added since,
and the files of V that W lacks hold every row removed (a replaced partition, S3 object or
snapshot). Only those batches need reprocessing. The answer comes from the Delta log and from
the `_batch_id` column of those files, never from a scan of the table's history.

`LakeResource` is the only caller (it knows where tables live).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import polars as pl

BATCH_COLUMN = "_batch_id"
PROGRESS_SCHEMA = pl.Schema(
    {
        "source_layer": pl.String,
        "source_table": pl.String,
        "source_version": pl.Int64,
        "mode": pl.String,
        "run_id": pl.String,
        "recorded_at": pl.Datetime("us", "UTC"),
    }
)


@dataclass(frozen=True)
class Progress:
    """One consumer's position in one source table."""

    source_layer: str
    source_table: str
    source_version: int
    mode: str  # "full" or "incremental": how the run that recorded it read the source
    run_id: str
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ChangedBatches:
    """The batches whose rows entered or left a table between two versions."""

    since_version: int
    version: int
    batches: frozenset[str]
    files_added: int
    files_removed: int
    whole_table_replaced: bool
    """A commit since `since_version` overwrote the table without a predicate (a snapshot)."""


def append_log_row(
    uri: str, options: dict[str, str], row: dict[str, object], schema: pl.Schema
) -> None:
    """Append one row to a small Delta log (progress, audit): one commit."""
    append_log_rows(uri, options, [row], schema)


def append_log_rows(
    uri: str, options: dict[str, str], rows: list[dict[str, object]], schema: pl.Schema
) -> None:
    """Append rows to a small Delta log in one commit: all or none."""
    from deltalake import write_deltalake  # imported where used: not at code location load

    frame = pl.DataFrame(rows, schema=schema)
    write_deltalake(uri, frame.to_arrow(), mode="append", storage_options=options or None)


def record_progress(uri: str, options: dict[str, str], progress: Progress) -> None:
    """Append one progress record (one commit); the latest record is the position."""
    record_progresses(uri, options, [progress])


def record_progresses(uri: str, options: dict[str, str], progresses: list[Progress]) -> None:
    """Append several progress records (one per source table) in one commit: all or none."""
    now = datetime.now(UTC)
    rows = [asdict(p) | {"recorded_at": p.recorded_at or now} for p in progresses]
    append_log_rows(uri, options, rows, PROGRESS_SCHEMA)


def latest_progresses(uri: str, options: dict[str, str]) -> dict[str, Progress]:
    """The last recorded position in every source table (one read of the log), by table."""
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(uri, options):
        return {}
    rows = (
        pl.scan_delta(uri, storage_options=options or None)
        .sort("recorded_at", "source_version")
        .group_by("source_table", maintain_order=True)
        .last()
        .select(PROGRESS_SCHEMA.names())
        .collect()
    )
    return {row["source_table"]: Progress(**row) for row in rows.iter_rows(named=True)}


def latest_progress(uri: str, options: dict[str, str], source_table: str) -> Progress | None:
    """The last recorded position in `source_table`, or None before the first record."""
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(uri, options):
        return None
    rows = (
        pl.scan_delta(uri, storage_options=options or None)
        .filter(pl.col("source_table") == source_table)
        .sort("recorded_at", "source_version")
        .tail(1)
        .collect()
    )
    return Progress(**rows.row(0, named=True)) if rows.height else None


def changed_batches(uri: str, options: dict[str, str], since_version: int) -> ChangedBatches:
    """The `_batch_id`s of the rows in files added or removed after `since_version`.

    Raises when `since_version` can no longer be read (its log or files were vacuumed): the
    caller then rebuilds in full.
    """
    from deltalake import DeltaTable

    current = DeltaTable(uri, storage_options=options or None)
    before = DeltaTable(uri, version=since_version, storage_options=options or None)
    now_files, then_files = set(current.file_uris()), set(before.file_uris())
    added, removed = sorted(now_files - then_files), sorted(then_files - now_files)
    files = added + removed
    batches: set[str] = set()
    if files:
        # Only the batch column of the changed files is read; a file that was vacuumed raises.
        found = (
            pl.scan_parquet(
                files,
                storage_options=options or None,
                # Files written before a schema merge lack later columns: only one is read.
                extra_columns="ignore",
                missing_columns="insert",
            )
            .select(pl.col(BATCH_COLUMN).unique())
            .collect()
        )
        batches = set(found.get_column(BATCH_COLUMN).drop_nulls().to_list())
    return ChangedBatches(
        since_version=since_version,
        version=current.version(),
        batches=frozenset(batches),
        files_added=len(added),
        files_removed=len(removed),
        whole_table_replaced=any(
            overwrites_everything(entry)
            for entry in current.history(limit=max(current.version() - since_version, 1))
            if int(entry["version"]) > since_version
        ),
    )


def overwrites_everything(commit: dict) -> bool:
    """A write in overwrite mode without a predicate (replace_table, a full snapshot)."""
    parameters = commit.get("operationParameters") or {}
    return (
        commit.get("operation") == "WRITE"
        and str(parameters.get("mode", "")).lower() == "overwrite"
        and not parameters.get("predicate")
    )
