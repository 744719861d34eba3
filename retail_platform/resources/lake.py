"""The lakehouse storage: Delta tables under one root, local folder or object store.

`LakeResource` is the only code that knows where tables live; assets that return frames
store them through `DeltaLakeIOManager` (resources/lake_io.py).

Bronze assets that write themselves use the same guarded paths: `replace_keys` (one S3 object's
rows), `replace_date_window` (one day of an API feed), `append` (a batch past a watermark) and
`upsert` (the S3 manifest). Each is one Delta commit: a reader, or a process killed mid-write,
sees the table before or after it, never half of it.

The lake also keeps an audit log per table (`<root>/_audit/<layer>/<table>`, a Delta table):
one row per audit of a candidate version (published or rejected, run id, checks), written by
the table's own writer (under its pool), so the warehouse loader can tell whether the version
it is about to load passed its audit (write-audit-publish, docs/data-model.md).

Every write sorts its rows by the table's clustering columns and splits them into files of
`target_file_size_bytes` (resources/lake_layout.py), so a night's slice replace or merge
rewrites only the files holding the rows it changes (docs/data-model.md, "File layout").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.contracts.layout import declared_clustering
from retail_platform.resources.lake_audit import (  # noqa: F401 (PUBLISHED, REJECTED: re-exported)
    PUBLISHED,
    REJECTED,
    AuditRecord,
    append_audit_record,
    audit_records,
)
from retail_platform.resources.lake_changes import (
    change_feed_configuration,
    ensure_change_feed,
    read_changes,
    replaced_whole_after,
    wants_change_feed,
)
from retail_platform.resources.lake_guards import values_predicate, window_predicate
from retail_platform.resources.lake_layout import (
    LOCAL_TARGET_FILE_SIZE,
    clustered,
    keep_target_file_size,
    layout_configuration,
)
from retail_platform.resources.lake_maintenance import TableMaintenance, maintain_table
from retail_platform.resources.lake_parts import write_parts
from retail_platform.resources.lake_progress import (
    ChangedBatches,
    Progress,
    changed_batches,
    latest_progress,
    latest_progresses,
    record_progress,
    record_progresses,
)
from retail_platform.sql_text import plain_identifier

if TYPE_CHECKING:  # delta-rs is imported where used: loading the code location should not pay
    from deltalake import DeltaTable
    from deltalake.table import TableMerger

PARTITION_COLUMN = "_partition_date"
AUDIT_FOLDER = "_audit"
PROGRESS_FOLDER = "_progress"
# Commits that rewrite files without changing a table's rows (automation/maintenance.py).
DATA_PRESERVING_OPERATIONS = frozenset(
    {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"}
)


# The source of every merge is an in-memory frame: delta-rs 1.6 derives its file-skipping
# predicate from the source's key range only when it is not streamed (resources/lake_layout.py).
MERGE_OPTIONS: dict[str, Any] = {"source_alias": "s", "target_alias": "t", "streamed_exec": False}


class LakeResource(dg.ConfigurableResource):
    """Delta tables at `<root>/<layer>/<table>`."""

    root: str = Field(description="Folder path or object-store URI (s3://bucket/prefix).")
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="delta-rs storage options (endpoint, region, ...)."
    )
    target_file_size_bytes: int = Field(
        default=LOCAL_TARGET_FILE_SIZE,
        gt=0,
        description="Data files are cut at about this size on write, merge and compaction: "
        "the unit a slice replace or merge rewrites (docs/data-model.md, File layout).",
    )
    clustering: dict[str, list[str]] = Field(
        default_factory=declared_clustering,
        description="'<layer>/<table>' -> columns its rows are sorted by on write; by default "
        "the contracts' cluster_by (contracts/layout.py).",
    )

    def cluster_columns(self, layer: str, table: str) -> list[str]:
        """The columns rows of `layer.table` are sorted by on write (empty: none)."""
        return list(self.clustering.get(f"{layer}/{table}", ()))

    def table_uri(self, layer: str, table: str) -> str:
        return f"{self.root.rstrip('/')}/{layer}/{table}"

    def exists(self, layer: str, table: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.table_uri(layer, table), self._options())

    def scan(self, layer: str, table: str, version: int | None = None) -> pl.LazyFrame:
        """The table's current version, or the given one (time travel)."""
        uri = self.table_uri(layer, table)
        if not self.exists(layer, table):
            from deltalake.exceptions import TableNotFoundError

            raise TableNotFoundError(
                f"Delta table {layer}.{table} does not exist yet at {uri}: materialize it first"
            )
        return pl.scan_delta(uri, version=version, storage_options=self._options() or None)

    def commits_after(self, layer: str, table: str, version: int) -> list[tuple[int, str]]:
        """(version, operation) of every commit after ``version``, oldest first."""
        history = self._table(layer, table)
        return sorted(
            (int(entry["version"]), str(entry.get("operation", "?")))
            for entry in history.history()
            if int(entry["version"]) > version
        )

    def record_audit(self, layer: str, table: str, record: AuditRecord) -> None:
        """Append one audit record to the table's audit log (one commit)."""
        uri = self.table_uri(AUDIT_FOLDER, f"{layer}/{table}")
        append_audit_record(uri, self._options(), record)

    def audit_log(self, layer: str, table: str) -> list[AuditRecord]:
        """The table's audit records, oldest first (empty when it was never audited)."""
        if not self.exists(AUDIT_FOLDER, f"{layer}/{table}"):
            return []
        return audit_records(self.scan(AUDIT_FOLDER, f"{layer}/{table}"))

    def record_progress(self, layer: str, table: str, progress: Progress) -> None:
        """Record which version of a source table `layer.table` has consumed (one commit)."""
        uri = self.table_uri(PROGRESS_FOLDER, f"{layer}/{table}")
        record_progress(uri, self._options(), progress)

    def record_progresses(self, layer: str, table: str, progresses: list[Progress]) -> None:
        """Record several positions of `layer.table` in one commit (all or none)."""
        uri = self.table_uri(PROGRESS_FOLDER, f"{layer}/{table}")
        record_progresses(uri, self._options(), progresses)

    def progresses(self, layer: str, table: str) -> dict[str, Progress]:
        """The last recorded position of `layer.table` in each source table (one read)."""
        uri = self.table_uri(PROGRESS_FOLDER, f"{layer}/{table}")
        return latest_progresses(uri, self._options())

    def progress(self, layer: str, table: str, source_table: str) -> Progress | None:
        """The last recorded position of `layer.table` in `source_table`, if any."""
        uri = self.table_uri(PROGRESS_FOLDER, f"{layer}/{table}")
        return latest_progress(uri, self._options(), source_table)

    def changed_batches(self, layer: str, table: str, since_version: int) -> ChangedBatches:
        """The ingestion batches with rows added or removed after `since_version`
        (resources/lake_progress.py); raises when that version can no longer be read."""
        return changed_batches(self.table_uri(layer, table), self._options(), since_version)

    def changes(
        self,
        layer: str,
        table: str,
        since_version: int,
        until_version: int | None = None,
        columns: Sequence[str] | None = None,
        net_on_columns: bool = False,
        net: bool = True,
    ) -> pl.LazyFrame | None:
        """The change data feed after `since_version` (up to `until_version`, default the
        latest): the table's columns (or `columns`) plus `_change_type` (insert, delete,
        update_preimage, update_postimage) and `_commit_version`. None when the range cannot
        be read as changes (feed off at that version, vacuumed, ahead of the table): the
        caller rebuilds in full (resources/lake_changes.py). `net_on_columns`: images cancel
        when equal in `columns` (only those are read), for a reader that depends on no other;
        `net=False`: every image as written (only `columns` read)."""
        found = read_changes(
            self.table_uri(layer, table),
            self._options(),
            since_version,
            until_version,
            columns,
            net_on_columns,
            net,
        )
        return None if found is None else found.lazy()

    def replaced_whole_after(self, layer: str, table: str, version: int) -> bool:
        """A commit after `version` overwrote the table without a predicate (a rebuild)."""
        return replaced_whole_after(self.table_uri(layer, table), self._options(), version)

    def version(self, layer: str, table: str) -> int:
        return self._table(layer, table).version()

    def table_properties(self, layer: str, table: str) -> dict[str, str]:
        """The table's properties (its Delta configuration)."""
        return {k: str(v) for k, v in self._table(layer, table).metadata().configuration.items()}

    def set_table_properties(self, layer: str, table: str, properties: dict[str, str]) -> None:
        """Set properties, ours (`retail.*`) too, in one SET TBLPROPERTIES commit (no data)."""
        self._table(layer, table).alter.set_table_properties(properties, raise_if_not_exists=False)

    def replace_table(self, layer: str, table: str, frame: pl.DataFrame) -> None:
        self._keep_change_feed(layer, table)
        self._write(
            self.table_uri(layer, table),
            frame,
            cluster_by=self.cluster_columns(layer, table),
            mode="overwrite",
            schema_mode="overwrite",
            configuration=self._configuration(layer, table),
        )

    def replace_table_in_parts(
        self, layer: str, table: str, parts: Iterable[pl.DataFrame], schema: pl.Schema
    ) -> int:
        """Replace the table by the rows of ``parts`` (each with ``schema``) in one commit,
        holding one part at a time (lake_parts.py); returns the rows written. A part that
        fails to be produced commits nothing. Each part is sorted by the table's clustering
        columns: parts arrive in bronze order, so files stay close to clustered."""
        self._keep_change_feed(layer, table)
        cluster_by = self.cluster_columns(layer, table)
        return write_parts(
            self.table_uri(layer, table),
            self._options(),
            (clustered(part, cluster_by) for part in parts),
            schema,
            mode="overwrite",
            schema_mode="overwrite",
            configuration=self._configuration(layer, table),
            target_file_size=self.target_file_size_bytes,
        )

    def replace_values(
        self, layer: str, table: str, frame: pl.DataFrame, column: str, values: Collection[object]
    ) -> bool:
        """Atomically replace the rows whose `column` is one of `values` (ints, strings or
        dates) by `frame`, in one overwrite-with-predicate commit; False (no commit) when
        `values` is empty. Every row of `frame` must carry one of `values` (lake_guards.py).
        A missing table is created from `frame`."""
        predicate = values_predicate(f"{layer}.{table}", frame, column, values)
        if predicate is None:
            return False
        if not self.exists(layer, table):
            self._create(layer, table, frame)
            return True
        self._keep_change_feed(layer, table)
        self._write(
            self.table_uri(layer, table),
            frame,
            cluster_by=self.cluster_columns(layer, table),
            mode="overwrite",
            predicate=predicate,
            schema_mode="merge",
        )
        return True

    def replace_date_window(
        self, layer: str, table: str, frame: pl.DataFrame, start: date, end: date
    ) -> None:
        """Atomically replace the rows whose partition date is in [start, end)."""
        predicate = window_predicate(f"{layer}.{table}", frame, PARTITION_COLUMN, start, end)
        if not self.exists(layer, table):
            self._create(layer, table, frame)
            return
        self._write(
            self.table_uri(layer, table),
            frame,
            mode="overwrite",
            predicate=predicate,
            schema_mode="merge",
        )

    def replace_keys(
        self, layer: str, table: str, frame: pl.DataFrame, column: str, keys: Collection[str]
    ) -> None:
        """Atomically replace the rows whose text `column` is one of `keys` by `frame`
        (`replace_values`); an empty key set is refused rather than committing nothing, since a
        caller replacing keys always has some. Columns that `frame` adds are merged into the
        schema; others read as null."""
        if not keys:
            raise ValueError(f"{layer}.{table}: no keys to replace; refusing a table-wide write")
        self.replace_values(layer, table, frame, column, [str(key) for key in keys])

    def append(self, layer: str, table: str, frame: pl.DataFrame) -> None:
        """Add rows in one commit (new columns are merged into the schema)."""
        if not self.exists(layer, table):
            self._create(layer, table, frame)
            return
        self._keep_change_feed(layer, table)
        self._write(
            self.table_uri(layer, table),
            frame,
            cluster_by=self.cluster_columns(layer, table),
            mode="append",
            schema_mode="merge",
        )

    def upsert(self, layer: str, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        """Insert or update rows by `key` in one merge commit."""
        if not self.exists(layer, table):
            self._create(layer, table, frame)
            return
        (
            self._merge(layer, table, frame, key)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    def merge_rows(
        self, layer: str, table: str, frame: pl.DataFrame, key: Sequence[str], delete_flag: str
    ) -> dict[str, int]:
        """One merge commit by `key`: a row whose boolean `delete_flag` is true deletes its
        match; any other row updates its match or is inserted. The flag is not stored.

        Returns the counts of rows inserted, updated and deleted (silver, for child rows such
        as order lines that a newer order version no longer has).
        """
        kept = frame.filter(~pl.col(delete_flag)).drop(delete_flag)
        if not self.exists(layer, table):
            self._create(layer, table, kept)
            return {"inserted": kept.height, "updated": 0, "deleted": 0}
        flag = f"s.{plain_identifier(delete_flag)}"
        metrics = (
            self._merge(layer, table, frame, key)
            .when_matched_delete(predicate=flag)
            .when_matched_update_all(except_cols=[delete_flag])
            .when_not_matched_insert_all(predicate=f"NOT {flag}", except_cols=[delete_flag])
            .execute()
        )
        return {
            "inserted": int(metrics["num_target_rows_inserted"]),
            "updated": int(metrics["num_target_rows_updated"]),
            "deleted": int(metrics["num_target_rows_deleted"]),
        }

    def _merge(
        self, layer: str, table: str, frame: pl.DataFrame, key: Sequence[str]
    ) -> TableMerger:
        """A merge of `frame` (alias s) into the existing table (alias t) matching on `key`."""
        self._keep_change_feed(layer, table)
        matches = " AND ".join(f"t.{plain_identifier(c)} = s.{plain_identifier(c)}" for c in key)
        table_handle = self._table(layer, table)
        keep_target_file_size(table_handle, self.target_file_size_bytes)
        return table_handle.merge(frame.to_arrow(), matches, **MERGE_OPTIONS)

    def _create(self, layer: str, table: str, frame: pl.DataFrame) -> None:
        self._write(
            self.table_uri(layer, table),
            frame,
            cluster_by=self.cluster_columns(layer, table),
            mode="overwrite",
            configuration=self._configuration(layer, table),
        )

    def _configuration(self, layer: str, table: str) -> dict[str, str | None]:
        """A whole-table write's table properties: change feed, file size for merges."""
        found = change_feed_configuration(layer, table)
        return layout_configuration(found, self.target_file_size_bytes)

    def _keep_change_feed(self, layer: str, table: str) -> None:
        """Silver and gold tables carry a change data feed (lake_changes.py); one created
        before that gets it now (readers positioned before this rebuild in full)."""
        if wants_change_feed(layer, table) and self.exists(layer, table):
            ensure_change_feed(self.table_uri(layer, table), self._options())

    def maintain(
        self,
        layer: str,
        table: str,
        retention_hours: int,
        target_file_size_bytes: int | None = None,
    ) -> TableMaintenance:
        """Compact the table (z-ordered by its leading clustering column if any), vacuum
        files replaced more than `retention_hours` ago; report. Files are compacted to the
        lake's own `target_file_size_bytes` unless another size is given."""
        return maintain_table(
            f"{layer}.{table}",
            self.table_uri(layer, table),
            self._options(),
            retention_hours,
            target_file_size_bytes or self.target_file_size_bytes,
            self.cluster_columns(layer, table),
        )

    def _options(self) -> dict[str, str]:
        return dict(self.storage_options)

    def _table(self, layer: str, table: str) -> DeltaTable:
        from deltalake import DeltaTable

        return DeltaTable(self.table_uri(layer, table), storage_options=self._options())

    def _write(
        self, uri: str, frame: pl.DataFrame, *, cluster_by: Sequence[str] = (), **how: Any
    ) -> None:
        """One delta-rs write (one commit) of `frame` sorted by `cluster_by`, in files of the
        lake's target size; `how` is write_deltalake's mode, predicate, ..."""
        from deltalake import write_deltalake

        rows = clustered(frame, cluster_by)
        write_deltalake(
            uri,
            rows.to_arrow(),
            storage_options=self._options() or None,
            target_file_size=self.target_file_size_bytes,
            **how,
        )
