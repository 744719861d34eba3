"""The load algorithm: stage what changed, then swap it in inside one transaction.

1. Compare the frame's partition fingerprints with the load state table (what the last
   committed load wrote) and with the target's row count per partition; a partition is loaded
   when either differs. Nothing changed: nothing is written at all.
2. PUT the changed rows as Parquet to a named stage and COPY them into a staging table in the
   control schema (never visible to BI readers).
3. One transaction: a full table is replaced (DELETE + INSERT), an incremental one gets its
   vanished rows deleted and a MERGE on the primary key, limited to the changed partitions;
   the load state is updated in the same transaction, so a failure anywhere leaves the target
   and the state exactly as they were.

DDL (schema, stage, tables) runs before the transaction, because Snowflake commits it
implicitly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from retail_platform.resources.warehouse.objects import (
    ObjectNames,
    checksum,
    existing_columns,
)
from retail_platform.resources.warehouse.parts import StagedFiles, read_source
from retail_platform.resources.warehouse.plan import (
    WHOLE_TABLE,
    LoadPlan,
    PartitionDigest,
    PrimaryKeyViolationError,
    format_fingerprint,
    partition_key_text,
    partition_value,
)
from retail_platform.resources.warehouse.runner import StatementRunner, WarehouseLoadError
from retail_platform.resources.warehouse.state import LoadState
from retail_platform.sql_text import (
    quote_identifier,
    validate_identifier,
)

logger = logging.getLogger(__name__)

PUT_OPTIONS = "AUTO_COMPRESS=FALSE OVERWRITE=TRUE"
COPY_OPTIONS = "FILE_FORMAT=(TYPE=PARQUET) MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE PURGE=TRUE"
# Beyond this many changed partitions one full replacement is cheaper than a long IN list.
MAX_MERGE_PARTITIONS = 1000

StepCallback = Callable[[str], None]


@dataclass(frozen=True)
class SwapCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class LoadOutcome:
    target_change: str  # created, altered, recreated or unchanged (the target's columns)
    changed: list[str]  # partitions written
    removed: list[str]  # partitions deleted
    staged: int
    counts: SwapCounts
    row_count: int
    checksum: str
    partitions_read: int = 0  # partitions read from the source and fingerprinted
    files_staged: int = 0  # Parquet files (parts) put to the stage
    read_everything: bool = True  # every partition was read (no scope, or it did not apply)


class TableLoad:
    """One load of one table over an open connection's runner."""

    def __init__(
        self,
        runner: StatementRunner,
        plan: LoadPlan,
        names: ObjectNames,
        on_step: StepCallback | None = None,
    ) -> None:
        self.runner = runner
        self.plan = plan
        self.names = names
        self.on_step = on_step or (lambda _step: None)
        self.target = names.target(plan.table)
        self.stage_table = names.stage_table(plan.table)
        self.format = format_fingerprint(plan)
        self.state = LoadState(runner, names, plan.table, self.format)

    def run(
        self,
        source: pl.LazyFrame,
        scope: Collection[str] | None,
        part_rows: int,
        workdir: Path,
        load_id: str,
        loaded_at: datetime,
    ) -> LoadOutcome:
        """The whole load; the staging table is dropped whatever happens.

        ``source`` has upper-case column names; ``scope`` holds the partition keys that can
        have changed since the last load (None: any). Only those, and the partitions whose
        recorded row count differs from the target's (drift), are read and fingerprinted.
        """
        self.ensure_control_objects()
        target_change = self.ensure_target()
        previous, recorded_format = self.state.read()
        present = self._target_rows_per_partition()
        known = set(previous) | set(present)
        drift = {k for k in known if previous.get(k, ("", 0))[1] != present.get(k, 0)}
        read_keys: set[str] | None = None
        # Anything but a known format over an untouched target reads every partition: the
        # first load, a column change, a LOADER_FORMAT bump, a caller that cannot tell.
        if scope is not None and target_change == "unchanged" and recorded_format == self.format:
            read_keys = set(scope) | drift

        def is_changed(digest: PartitionDigest) -> bool:
            return previous.get(digest.key) != (digest.fingerprint, digest.rows) or (
                present.get(digest.key, 0) != digest.rows
            )

        while True:
            if read_keys is not None and len(read_keys) > MAX_MERGE_PARTITIONS:
                read_keys = None
            files = StagedFiles(self.plan, workdir / uuid.uuid4().hex, load_id, loaded_at)
            found = read_source(self.plan, source, read_keys, is_changed, files, part_rows)
            digests, changed = found.digests, found.changed
            removed = sorted((known if read_keys is None else known & read_keys) - set(digests))
            # An empty target (a first load) takes every partition: a plain INSERT, no MERGE.
            replace_all = (
                self.plan.partition_column is None
                or len(changed) + len(removed) > MAX_MERGE_PARTITIONS
                or (read_keys is None and not present)
            )
            if replace_all and (changed or removed) and len(changed) < len(digests):
                # Only when every partition was read (at most MAX_MERGE_PARTITIONS are read
                # otherwise): a second pass stages the unchanged ones, too.
                unchanged = set(digests) - set(changed)
                read_source(self.plan, source, unchanged, is_changed, files, part_rows, True)
            if replace_all and (changed or removed):
                changed, removed = list(digests), []
            staged, counts, elsewhere = 0, SwapCounts(), set[str]()
            if changed or removed:
                try:
                    staged = self.stage(files)
                    if not replace_all:
                        elsewhere = self._keys_held_elsewhere([*changed, *removed])
                    if not elsewhere:
                        counts = self.swap(
                            digests, changed, removed, replace_all, load_id, loaded_at
                        )
                finally:
                    self.drop_stage_table()
            elif recorded_format != self.format:  # content equal, fingerprints of an old format
                self.swap(digests, [], [], False, load_id, loaded_at)
            if not elsewhere:
                break
            if read_keys is None or elsewhere <= read_keys:  # those partitions equal gold's
                raise PrimaryKeyViolationError(
                    f"{self.plan.table}: primary key {self.plan.primary_key} of staged rows is "
                    f"also held by partitions {sorted(elsewhere)[:5]} that this load keeps"
                )
            # Keys that moved from partitions outside the scope: read those, too, and redo.
            read_keys |= elsewhere
        row_count, fingerprint = checksum(self.runner, self.target, self.plan.column_names)
        return LoadOutcome(
            target_change,
            changed,
            removed,
            staged,
            counts,
            row_count,
            fingerprint,
            partitions_read=len(digests),
            files_staged=len(files.paths),
            read_everything=read_keys is None,
        )

    # --- before the transaction: control objects, target table, what changed ---------------

    def ensure_control_objects(self) -> None:
        control = validate_identifier(self.names.control_schema)
        [(found,)] = self.runner.run(
            "find control schema",
            f"SELECT COUNT(*) FROM {self.names.information_schema()}.SCHEMATA "
            "WHERE SCHEMA_NAME = ?",
            [control],
        )
        if not found:  # checked first: the loader role may lack CREATE SCHEMA once it exists
            schema = quote_identifier(self.names.database, control)
            self.runner.run("create control schema", f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.runner.run("create stage", f"CREATE STAGE IF NOT EXISTS {self.names.stage()}")
        self.runner.run(
            "create load state table",
            f"CREATE TABLE IF NOT EXISTS {self.names.state_table()} ("
            "TABLE_NAME VARCHAR NOT NULL, PARTITION_KEY VARCHAR NOT NULL, "
            "FINGERPRINT VARCHAR NOT NULL, ROW_COUNT NUMBER(19,0) NOT NULL, "
            "LOAD_ID VARCHAR NOT NULL, LOADED_AT TIMESTAMP_NTZ NOT NULL, "
            "PRIMARY KEY (TABLE_NAME, PARTITION_KEY))",
        )

    def ensure_target(self) -> str:
        """Create the target, add new columns, or recreate it; returns what was done."""
        existing = dict(existing_columns(self.runner, self.names, self.plan.table))
        planned = dict(self.plan.all_columns)
        if not existing:
            self._create("CREATE TABLE IF NOT EXISTS")
            return "created"
        if existing == planned:
            return "unchanged"
        additive = set(existing) <= set(planned) and all(
            existing[name] == sql_type for name, sql_type in planned.items() if name in existing
        )
        if additive:  # new columns keep the data: no moment where readers see an empty table
            for name, sql_type in planned.items():
                if name not in existing:
                    self.runner.run(
                        f"add column {name}",
                        f"ALTER TABLE {self.target} ADD COLUMN {quote_identifier(name)} {sql_type}",
                    )
            return "altered"
        logger.warning("%s: columns changed from %s, recreating", self.runner.table, existing)
        self._create("CREATE OR REPLACE TABLE")
        return "recreated"

    def _create(self, create: str) -> None:
        ddl = f"{create} {self.target} ({self.plan.column_ddl()}){self.plan.table_comment_clause()}"
        self.runner.run("create target", ddl)

    def _target_rows_per_partition(self) -> dict[str, int]:
        column = self.plan.partition_column
        if column is None:
            [(count,)] = self.runner.run("count target rows", f"SELECT COUNT(*) FROM {self.target}")
            return {WHOLE_TABLE: int(count)} if count else {}
        quoted = quote_identifier(column)
        rows = self.runner.run(
            "count target rows per partition",
            f"SELECT {quoted}, COUNT(*) FROM {self.target} GROUP BY {quoted}",
        )
        return {partition_key_text(value): int(count) for value, count in rows}

    # --- staging ----------------------------------------------------------------------------

    def stage(self, files: StagedFiles) -> int:
        """PUT every part's file, then ONE COPY of them all into the staging table."""
        self.on_step("stage")
        # TRANSIENT: no fail-safe storage for a scratch table (fakesnow ignores the keyword).
        self.runner.run(
            "create stage table",
            f"CREATE OR REPLACE TRANSIENT TABLE {self.stage_table} "
            f"({self.plan.column_ddl(target=False)})",
        )
        if files.paths:  # nothing to copy when only deletions remain
            location = f"@{self.names.stage()}/{self.plan.table.lower()}/{uuid.uuid4().hex}"
            for path in files.paths:
                source = path.as_uri()  # percent-encoded: no quote can end the literal
                self.runner.run("put", f"PUT '{source}' {location} {PUT_OPTIONS}")
            self.runner.run("copy", f"COPY INTO {self.stage_table} FROM {location} {COPY_OPTIONS}")
        [(staged,)] = self.runner.run(
            "count staged rows", f"SELECT COUNT(*) FROM {self.stage_table}"
        )
        if staged != files.rows:
            raise WarehouseLoadError(
                f"{self.runner.table}: step 'copy' staged {staged} of {files.rows} rows"
            )
        if len(files.paths) > 1 and self.plan.primary_key:
            self._check_staged_key()
        return int(staged)

    def _check_staged_key(self) -> None:
        """Parts were checked one by one (plan.check_rows); a key repeated across parts is
        found here, on the staged rows, before anything reaches the target."""
        key = ", ".join(map(quote_identifier, self.plan.primary_key))
        [(repeated,)] = self.runner.run(
            "check staged primary key",
            f"SELECT COUNT(*) FROM (SELECT {key} FROM {self.stage_table} "
            f"GROUP BY {key} HAVING COUNT(*) > 1) AS repeated",
        )
        if repeated:
            raise PrimaryKeyViolationError(
                f"{self.plan.table}: primary key {self.plan.primary_key} has duplicates "
                f"across the load's parts ({repeated} keys)"
            )

    def _keys_held_elsewhere(self, merged: Sequence[str]) -> set[str]:
        """Target partitions outside ``merged`` holding a staged key. The MERGE would move such
        a row instead of adding one, leaving its old partition short: a fact's key is not bound
        to its date (an order line follows its order's date), so a scope that missed the old
        date of a moved row, or a key twice in the source, is caught here."""
        plan = self.plan
        partition = quote_identifier(plan.partition_column or "")
        key_match = " AND ".join(
            f"s.{quote_identifier(k)} = t.{quote_identifier(k)}" for k in plan.primary_key
        )
        values = [partition_value(key, plan.partition_dtype) for key in merged]
        rows = self.runner.run(
            "find staged keys held elsewhere",
            f"SELECT DISTINCT t.{partition} FROM {self.target} AS t "
            f"JOIN {self.stage_table} AS s ON {key_match} "
            f"WHERE t.{partition} NOT IN ({', '.join('?' for _ in values)})",
            values,
        )
        return {partition_key_text(value) for (value,) in rows}

    def drop_stage_table(self) -> None:
        self.runner.try_run("drop stage table", f"DROP TABLE IF EXISTS {self.stage_table}")

    # --- the transaction --------------------------------------------------------------------

    def swap(
        self,
        digests: dict[str, PartitionDigest],
        changed: Sequence[str],
        removed: Sequence[str],
        replace_all: bool,
        load_id: str,
        loaded_at: datetime,
    ) -> SwapCounts:
        """Apply the staged rows and the new load state atomically; roll back on any failure."""
        self.on_step("swap")
        self.runner.run("begin", "BEGIN")
        try:
            if replace_all:
                counts = self._replace_all()
            elif changed or removed:
                counts = self._merge_partitions([*changed, *removed])
            else:  # nothing to write but the format marker (fingerprints of an older format)
                counts = SwapCounts()
            self.state.clear(None if replace_all else [*changed, *removed])
            self.state.write([digests[key] for key in changed], load_id, loaded_at)
            self.state.record_format(load_id, loaded_at)
            self.runner.run("commit", "COMMIT")
        except BaseException:
            self.runner.try_run("rollback", "ROLLBACK")
            raise
        return counts

    def _column_list(self) -> str:
        return ", ".join(quote_identifier(name) for name, _ in self.plan.all_columns)

    def _replace_all(self) -> SwapCounts:
        deleted = self.runner.execute("delete", f"DELETE FROM {self.target}").rowcount
        columns = self._column_list()
        inserted = self.runner.execute(
            "insert",
            f"INSERT INTO {self.target} ({columns}) SELECT {columns} FROM {self.stage_table}",
        ).rowcount
        return SwapCounts(inserted=inserted, deleted=deleted)

    def _merge_partitions(self, keys: Sequence[str]) -> SwapCounts:
        plan = self.plan
        partition = quote_identifier(plan.partition_column or "")
        values = [partition_value(key, plan.partition_dtype) for key in keys]
        placeholders = ", ".join("?" for _ in values)
        key_match = " AND ".join(
            f"s.{quote_identifier(k)} = t.{quote_identifier(k)}" for k in plan.primary_key
        )
        # Rows of the changed partitions that the new version no longer has.
        deleted = self.runner.execute(
            "delete vanished rows",
            f"DELETE FROM {self.target} AS t WHERE t.{partition} IN ({placeholders}) "
            f"AND NOT EXISTS (SELECT 1 FROM {self.stage_table} AS s WHERE {key_match})",
            values,
        ).rowcount
        merged = self.runner.execute("merge", self._merge_sql(key_match)).first_row_by_name()
        return SwapCounts(
            inserted=int(merged.get("number of rows inserted", 0)),
            updated=int(merged.get("number of rows updated", 0)),
            deleted=deleted,
        )

    def _merge_sql(self, key_match: str) -> str:
        """MERGE on the primary key; a matched row is updated only when a value differs."""
        data = [name for name in self.plan.column_names if name not in self.plan.primary_key]
        audit = [name for name, _ in self.plan.all_columns if name not in self.plan.column_names]
        all_names = [name for name, _ in self.plan.all_columns]
        sql = f"MERGE INTO {self.target} AS t USING {self.stage_table} AS s ON {key_match}"
        if data:
            differs = " OR ".join(
                f"t.{quote_identifier(c)} IS DISTINCT FROM s.{quote_identifier(c)}" for c in data
            )
            assignments = ", ".join(
                f"t.{quote_identifier(c)} = s.{quote_identifier(c)}" for c in [*data, *audit]
            )
            sql += f" WHEN MATCHED AND ({differs}) THEN UPDATE SET {assignments}"
        inserted = ", ".join(f"s.{quote_identifier(c)}" for c in all_names)
        sql += f" WHEN NOT MATCHED THEN INSERT ({self._column_list()}) VALUES ({inserted})"
        return sql
