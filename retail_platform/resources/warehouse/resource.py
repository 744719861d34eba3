"""SnowflakeWarehouse: connection details and the table loader (Snowflake or a local fakesnow).

Connections come from dagster-snowflake's ``SnowflakeResource``; this module keeps what it does
not do: the PUT/COPY/MERGE load, its bookkeeping and the local server's address.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.resources.warehouse.loader import StepCallback, TableLoad
from retail_platform.resources.warehouse.objects import ObjectNames, checksum, existing_columns
from retail_platform.resources.warehouse.parts import DEFAULT_PART_ROWS
from retail_platform.resources.warehouse.plan import (
    AUDIT_COLUMNS,
    WarehouseColumn,
    partition_key_text,
    plan_load,
    plan_schema,
)
from retail_platform.resources.warehouse.runner import StatementRunner, WarehouseLoadError
from retail_platform.sql_text import quote_identifier, validate_identifier

if TYPE_CHECKING:  # imported when connecting: loading the code location need not pay for it
    from dagster_snowflake import SnowflakeResource

LOCAL_NETWORK_TIMEOUT_S = 15
_AUDIT_NAMES = {name for name, _ in AUDIT_COLUMNS}


@dataclass(frozen=True)
class LoadResult:
    table: str  # DATABASE.SCHEMA.TABLE
    mode: str  # "full" or "incremental"
    load_id: str
    rows_loaded: int  # rows staged (COPY) and applied by this load
    rows_inserted: int
    rows_updated: int
    rows_deleted: int
    partitions_loaded: tuple[str, ...]  # "*" is the whole table of a full load
    partitions_removed: tuple[str, ...]
    target_change: str  # created, altered, recreated or unchanged (the table's columns)
    row_count: int  # rows in the target after the load
    checksum: str
    query_ids: list[str]
    duration_s: float
    partitions_read: int = 0  # partitions read from the source and fingerprinted
    files_staged: int = 0  # Parquet files (parts) copied into the stage by one COPY
    read_everything: bool = True  # False: only the scope (and drifted partitions) was read

    @property
    def unchanged(self) -> bool:
        """True when the data already matched: nothing was written."""
        return not self.partitions_loaded and not self.partitions_removed

    @property
    def rows_merged(self) -> int:
        return self.rows_inserted + self.rows_updated


class SnowflakeWarehouse(dg.ConfigurableResource):
    """Connection details and the atomic, incremental table loader for Snowflake."""

    account: str
    user: str
    password: str | None = None
    private_key_path: str | None = Field(default=None, description="PEM key for key-pair auth")
    private_key_passphrase: str | None = None
    database: str = "RETAIL"
    schema_name: str = Field(default="GOLD", description="Snowflake schema of the loaded tables")
    control_schema: str = Field(
        default="LOAD_CONTROL", description="schema for staging tables, the stage and load state"
    )
    warehouse: str | None = None
    role: str | None = None
    host: str | None = Field(default=None, description="only for local stand-ins (fakesnow)")
    port: int | None = None
    protocol: str = "https"
    session_parameters: dict[str, str] = Field(default_factory=dict)
    login_timeout_s: int = 60
    network_timeout_s: int | None = None  # retry budget; None: unlimited, or 15 s with a host
    create_database_if_missing: bool = False
    load_part_rows: int = Field(
        default=DEFAULT_PART_ROWS,
        description="rows per part when a lazy source is read, fingerprinted and staged",
    )

    def snowflake_resource(self, role: str | None = None) -> SnowflakeResource:
        """The dagster-snowflake resource that opens this warehouse's connections.

        dagster-snowflake does the connecting and the key-pair decoding; what is left here is
        what it does not know: qmark binding for the loader's statements, the local stand-in's
        address (``additional_snowflake_connection_args``) and which credential wins.
        """
        from dagster_snowflake import SnowflakeResource

        session_parameters: dict[str, Any] = dict(self.session_parameters)
        # protocol always (https unless a stand-in says otherwise); host and port only when set
        additional: dict[str, Any] = {"protocol": self.protocol}
        if self.host is not None:  # a local stand-in: no telemetry calls to snowflakecomputing.com
            additional["host"] = self.host
            session_parameters["CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED"] = False
        if self.port is not None:
            additional["port"] = self.port
        additional["session_parameters"] = session_parameters
        # SnowflakeResource refuses two credentials; the key pair wins, as documented.
        credentials: dict[str, Any] = (
            {
                "private_key_path": str(Path(self.private_key_path).expanduser()),
                "private_key_password": self.private_key_passphrase,
            }
            if self.private_key_path
            else {"password": self.password}
        )
        return SnowflakeResource(
            account=self.account,
            user=self.user,
            database=validate_identifier(self.database),
            schema=validate_identifier(self.schema_name),
            warehouse=self.warehouse,
            role=role or self.role,
            paramstyle="qmark",  # server-side binding: values never spliced into SQL text
            login_timeout=self.login_timeout_s,
            # fakesnow answers unsupported SQL with HTTP 500, which the connector retries
            network_timeout=self.network_timeout_s
            or (LOCAL_NETWORK_TIMEOUT_S if self.host is not None else None),
            additional_snowflake_connection_args=additional,
            **credentials,
        )

    @contextmanager
    def connect(self, role: str | None = None) -> Iterator[Any]:
        """A connector connection (qmark parameters) in DATABASE.SCHEMA, closed afterwards."""
        with self.snowflake_resource(role).get_connection() as connection:
            try:
                if self.create_database_if_missing:
                    database = quote_identifier(self.database)
                    schema = quote_identifier(self.database, self.schema_name)
                    with connection.cursor() as cursor:
                        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
                        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                        cursor.execute(f"USE SCHEMA {schema}")
                yield connection
            except BaseException:
                # get_connection commits and closes only when the block succeeds; a failed one
                # is closed here, which rolls back whatever transaction it left open.
                connection.close()
                raise

    def object_names(self) -> ObjectNames:
        return ObjectNames(
            validate_identifier(self.database),
            validate_identifier(self.schema_name),
            validate_identifier(self.control_schema),
        )

    def qualified_name(self, table: str) -> str:
        """DATABASE.SCHEMA.TABLE as reported in LoadResult."""
        return ".".join(map(validate_identifier, (self.database, self.schema_name, table)))

    def load_table(
        self,
        table: str,
        frame: pl.DataFrame | pl.LazyFrame,
        *,
        columns: Sequence[WarehouseColumn] | None = None,
        primary_key: Sequence[str] = (),
        table_description: str | None = None,
        partition_column: str | None = None,
        load_id: str | None = None,
        on_step: StepCallback | None = None,
        scope: Collection[Any] | None = None,
    ) -> LoadResult:
        """Make TABLE hold exactly ``frame``, atomically, writing only what changed.

        Without ``partition_column`` a changed table is replaced whole; with it, only the
        partitions whose rows changed are merged on the primary key. ``on_step`` is called
        with "stage" before the PUT and "swap" before the transaction.

        ``frame`` may be lazy: it is then read in parts of whole partitions of about
        ``load_part_rows`` rows, each fingerprinted and staged as its own Parquet file (one
        COPY, one swap). ``scope``: the partition values that can have changed since the
        last load (for a full table: empty when nothing can have); partitions outside it are
        neither read nor taken as removed, except those whose recorded row count differs
        from the target's. None (the default): every partition is read.
        """
        started = time.perf_counter()
        if isinstance(frame, pl.DataFrame):  # all rows at hand: checked before connecting
            args = (columns, primary_key, table_description, partition_column)
            plan = plan_load(table, frame, *args)
        else:
            schema = frame.collect_schema()
            plan = plan_schema(
                table, schema, columns, primary_key, table_description, partition_column
            )
        source = frame.lazy().rename(str.upper)
        scope_keys = None if scope is None else {partition_key_text(value) for value in scope}
        if plan.partition_column is None and scope_keys:
            scope_keys = None  # a full table has one partition: any change reads it
        load_id = load_id or uuid.uuid4().hex
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        names = self.object_names()
        names.stage_table(plan.table)  # a name too long for the stage table fails here, offline
        with TemporaryDirectory(prefix="warehouse_load_") as workdir, self.connect() as connection:
            runner = StatementRunner(connection.cursor(), self.qualified_name(plan.table))
            outcome = TableLoad(runner, plan, names, on_step).run(
                source, scope_keys, self.load_part_rows, Path(workdir), load_id, loaded_at
            )
        return LoadResult(
            table=runner.table,
            mode=plan.mode,
            load_id=load_id,
            rows_loaded=outcome.staged,
            rows_inserted=outcome.counts.inserted,
            rows_updated=outcome.counts.updated,
            rows_deleted=outcome.counts.deleted,
            partitions_loaded=tuple(outcome.changed),
            partitions_removed=tuple(outcome.removed),
            target_change=outcome.target_change,
            row_count=outcome.row_count,
            checksum=outcome.checksum,
            query_ids=runner.query_ids,
            duration_s=time.perf_counter() - started,
            partitions_read=outcome.partitions_read,
            files_staged=outcome.files_staged,
            read_everything=outcome.read_everything,
        )

    def table_row_count(self, table: str) -> int:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.object_names().target(table)}")
            return int(cursor.fetchone()[0])

    def table_checksum(self, table: str) -> str:
        """Order-independent fingerprint of the table's data columns (audit columns excluded)."""
        names = self.object_names()
        with self.connect() as connection, connection.cursor() as cursor:
            runner = StatementRunner(cursor, self.qualified_name(table))
            columns = [name for name, _ in existing_columns(runner, names, table)]
            if not columns:
                raise WarehouseLoadError(f"{runner.table} does not exist")
            data_columns = [name for name in columns if name not in _AUDIT_NAMES]
            return checksum(runner, names.target(table), data_columns)[1]
