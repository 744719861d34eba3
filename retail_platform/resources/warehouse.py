"""Snowflake warehouse resource: the only code that knows how to reach Snowflake.

Loads are full replacements that readers never see half-done: the frame goes to Parquet, is PUT
to a named internal stage and COPYed into a ``<TABLE>__STAGE`` table, and only then swapped in
with ``BEGIN; DELETE; INSERT .. SELECT; COMMIT``. Snowflake auto-commits DDL, so every CREATE
runs before that transaction. The same SQL runs against the local fakesnow server.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import dagster as dg
import polars as pl
import polars.selectors as cs
from pydantic import Field

logger = logging.getLogger(__name__)

IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
LOAD_STAGE = "LOAD_STAGE"
STAGE_TABLE_SUFFIX = "__STAGE"
PUT_OPTIONS = "AUTO_COMPRESS=FALSE OVERWRITE=TRUE"
COPY_OPTIONS = "FILE_FORMAT=(TYPE=PARQUET) MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE PURGE=TRUE"
_TYPE_BY_BASE_DTYPE = {
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.Datetime: "TIMESTAMP_NTZ",  # time-zone aware values are stored as UTC, see _parquet_frame
}
# Row hashes are folded: fakesnow sums as DOUBLE (exact below 2**53) and cannot return
# unsigned 64-bit values, which its HASH produces.
SUM_MODULUS, XOR_MODULUS = 1_000_003, 2**62
LOCAL_NETWORK_TIMEOUT_S = 15


class InvalidIdentifierError(ValueError):
    """A table or column name that is not a plain Snowflake identifier."""


class UnsupportedColumnTypeError(TypeError):
    """A frame column whose polars dtype has no Snowflake mapping here."""


class PrimaryKeyViolationError(ValueError):
    """Snowflake only declares primary keys, so uniqueness is checked before loading."""


class WarehouseLoadError(RuntimeError):
    """A load failed; the message names the table and the step."""


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    description: str = ""


@dataclass(frozen=True)
class LoadResult:
    table: str  # DATABASE.SCHEMA.TABLE
    rows_loaded: int
    query_ids: list[str]
    duration_s: float


def validate_identifier(name: str) -> str:
    """The upper-cased identifier, or InvalidIdentifierError; only these reach SQL text."""
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise InvalidIdentifierError(f"invalid Snowflake identifier: {name!r}")
    return name.upper()


def quote_identifier(*names: str) -> str:
    """Validated, upper-cased and double-quoted, dotted when several: "DB"."SCHEMA"."T"."""
    return ".".join(f'"{validate_identifier(name)}"' for name in names)


def snowflake_type(column: str, dtype: pl.DataType) -> str:
    """The Snowflake column type for a polars dtype, spelled as INFORMATION_SCHEMA reports it."""
    if dtype.is_integer():  # Int128 may exceed NUMBER(38,0); Snowflake rejects such values
        return "NUMBER(38,0)"
    if isinstance(dtype, pl.Decimal):  # polars caps precision at 38, as Snowflake does
        return f"NUMBER({dtype.precision},{dtype.scale})"
    if dtype.is_float():
        return "FLOAT"
    if sql_type := _TYPE_BY_BASE_DTYPE.get(dtype.base_type()):
        return sql_type
    raise UnsupportedColumnTypeError(f"column {column!r}: polars dtype {dtype} is not supported")


def _info_schema_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """INFORMATION_SCHEMA.COLUMNS spelling -> the spelling snowflake_type produces."""
    if data_type == "NUMBER":
        return f"NUMBER({precision},{scale})"
    return {"TEXT": "VARCHAR"}.get(data_type, data_type)


def _string_literal(text: str) -> str:
    # Comments only (Snowflake cannot bind DDL values). Apostrophes become typographic ones:
    # fakesnow splices comment text into its own SQL unescaped and fails on a quote.
    return "'" + text.replace("\\", "\\\\").replace("'", "\u2019") + "'"


@dataclass(frozen=True)
class LoadPlan:
    """Everything validated and typed before any connection is opened."""

    table: str
    columns: list[tuple[str, str]]  # (NAME, SQL type) in frame order
    primary_key: list[str]
    column_comments: dict[str, str]
    table_comment: str | None

    def column_ddl(self) -> str:
        definitions = [f"{quote_identifier(name)} {sql_type}" for name, sql_type in self.columns]
        if self.primary_key:  # declared only on Snowflake; plan_load checked it holds
            definitions.append(
                f"PRIMARY KEY ({', '.join(map(quote_identifier, self.primary_key))})"
            )
        return ", ".join(definitions)


def plan_load(
    table: str,
    frame: pl.DataFrame,
    columns: Sequence[WarehouseColumn] | None = None,
    primary_key: Sequence[str] = (),
    table_description: str | None = None,
) -> LoadPlan:
    table_name = validate_identifier(table)
    validate_identifier(table_name + STAGE_TABLE_SUFFIX)  # the stage table must fit, too
    typed = [
        (validate_identifier(name), snowflake_type(name, dtype))
        for name, dtype in frame.schema.items()
    ]
    if len({name for name, _ in typed}) != len(typed):
        raise InvalidIdentifierError(f"{table_name}: column names collide in upper case")
    names = [name for name, _ in typed]
    comments = {validate_identifier(c.name): c.description for c in columns or () if c.description}
    if unknown := sorted(set(comments) - set(names)):
        raise ValueError(f"{table_name}: described columns are not in the frame: {unknown}")
    key = [validate_identifier(name) for name in primary_key]
    if unknown := sorted(set(key) - set(names)):
        raise ValueError(f"{table_name}: primary key columns are not in the frame: {unknown}")
    if key:
        key_frame = frame.rename(str.upper).select(key)
        if key_frame.is_duplicated().any() or key_frame.null_count().sum_horizontal().item():
            raise PrimaryKeyViolationError(f"{table_name}: primary key {key} has duplicates/nulls")
    return LoadPlan(table_name, typed, key, comments, table_description or None)


def _parquet_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Upper-case names (COPY matches them) and aware timestamps as naive UTC for TIMESTAMP_NTZ."""
    aware = cs.datetime(time_zone="*")
    naive_utc = aware.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return frame.with_columns(naive_utc).rename(str.upper)


class StatementRunner:
    """Runs one load's statements, records query ids and names the failing step."""

    def __init__(self, cursor: Any, table: str) -> None:
        self.cursor = cursor
        self.table = table
        self.query_ids: list[str] = []

    def run(self, step: str, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        try:
            self.cursor.execute(sql, params)
        except Exception as error:
            raise WarehouseLoadError(f"{self.table}: step {step!r} failed: {error}") from error
        finally:
            if self.cursor.sfqid and self.cursor.sfqid not in self.query_ids[-1:]:
                self.query_ids.append(self.cursor.sfqid)
        return self.cursor.fetchall() if self.cursor.description else []

    def try_run(self, step: str, sql: str) -> None:
        """Best-effort statement: a failure is logged, never raised."""
        try:
            self.run(step, sql)
        except WarehouseLoadError as error:
            logger.info("skipped: %s", error)


class SnowflakeWarehouse(dg.ConfigurableResource):
    """Connection details and the atomic table loader for Snowflake (or a local fakesnow)."""

    account: str
    user: str
    password: str | None = None
    private_key_path: str | None = Field(default=None, description="PEM key for key-pair auth")
    private_key_passphrase: str | None = None
    database: str = "RETAIL"
    schema_name: str = Field(default="GOLD", description="Snowflake schema of the loaded tables")
    warehouse: str | None = None
    role: str | None = None
    host: str | None = Field(default=None, description="only for local stand-ins (fakesnow)")
    port: int | None = None
    protocol: str = "https"
    session_parameters: dict[str, str] = Field(default_factory=dict)
    login_timeout_s: int = 60
    network_timeout_s: int | None = None  # retry budget; None: unlimited, or 15 s with a host
    create_database_if_missing: bool = False

    def _connection_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "account": self.account,
            "user": self.user,
            "database": validate_identifier(self.database),
            "schema": validate_identifier(self.schema_name),
            "protocol": self.protocol,
            "paramstyle": "qmark",  # server-side binding: values never spliced into SQL text
            "login_timeout": self.login_timeout_s,
            # fakesnow answers unsupported SQL with HTTP 500, which the connector retries
            "network_timeout": self.network_timeout_s
            or (LOCAL_NETWORK_TIMEOUT_S if self.host is not None else None),
            "session_parameters": dict(self.session_parameters),
        }
        optional = {"warehouse": self.warehouse, "role": self.role, "port": self.port}
        arguments.update({key: value for key, value in optional.items() if value is not None})
        if self.host is not None:  # a local stand-in: no telemetry calls to snowflakecomputing.com
            arguments["host"] = self.host
            arguments["session_parameters"]["CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED"] = False
        if self.private_key_path:
            arguments["private_key"] = self._private_key_der(Path(self.private_key_path))
        elif self.password is not None:
            arguments["password"] = self.password
        return arguments

    def _private_key_der(self, key_path: Path) -> bytes:
        from cryptography.hazmat.primitives import serialization

        passphrase = self.private_key_passphrase.encode() if self.private_key_passphrase else None
        key = serialization.load_pem_private_key(
            key_path.expanduser().read_bytes(), password=passphrase
        )
        return key.private_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A connector connection (qmark parameters) in DATABASE.SCHEMA, closed afterwards."""
        import snowflake.connector

        connection = snowflake.connector.connect(**self._connection_arguments())
        try:
            if self.create_database_if_missing:
                database = quote_identifier(self.database)
                schema = quote_identifier(self.database, self.schema_name)
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
                    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                    cursor.execute(f"USE SCHEMA {schema}")
            yield connection
        finally:
            connection.close()

    def qualified_name(self, table: str) -> str:
        """DATABASE.SCHEMA.TABLE as reported in LoadResult."""
        return ".".join(map(validate_identifier, (self.database, self.schema_name, table)))

    def _quoted(self, name: str) -> str:
        return quote_identifier(self.database, self.schema_name, name)

    def load_table(
        self,
        table: str,
        frame: pl.DataFrame,
        *,
        columns: Sequence[WarehouseColumn] | None = None,
        primary_key: Sequence[str] = (),
        table_description: str | None = None,
    ) -> LoadResult:
        """Replace TABLE's contents with frame atomically; creates or recreates it as needed."""
        started = time.perf_counter()
        plan = plan_load(table, frame, columns, primary_key, table_description)
        with TemporaryDirectory(prefix="warehouse_load_") as workdir, self.connect() as connection:
            parquet_path = Path(workdir) / f"{plan.table.lower()}.parquet"
            # snappy: the codec every Parquet reader, Snowflake's COPY included, accepts
            _parquet_frame(frame).write_parquet(parquet_path, compression="snappy")
            runner = StatementRunner(connection.cursor(), self.qualified_name(plan.table))
            stage_table = self._quoted(plan.table + STAGE_TABLE_SUFFIX)
            try:
                self._stage(runner, plan, parquet_path, stage_table, rows=frame.height)
                created = self._ensure_target(runner, plan)
                self._swap_in(runner, plan, stage_table)
            finally:
                runner.try_run("drop stage table", f"DROP TABLE IF EXISTS {stage_table}")
            self._apply_comments(runner, plan, created)
        duration_s = time.perf_counter() - started
        return LoadResult(runner.table, frame.height, runner.query_ids, duration_s)

    def _stage(
        self, runner: StatementRunner, plan: LoadPlan, parquet: Path, stage_table: str, rows: int
    ) -> None:
        stage = self._quoted(LOAD_STAGE)
        runner.run("create stage", f"CREATE STAGE IF NOT EXISTS {stage}")
        # TRANSIENT: no fail-safe storage for a scratch table (fakesnow ignores the keyword).
        ddl = plan.column_ddl()
        runner.run("create stage table", f"CREATE OR REPLACE TRANSIENT TABLE {stage_table} ({ddl})")
        if rows:  # an empty frame just empties the target
            location = f"@{stage}/{plan.table.lower()}/{uuid.uuid4().hex}"  # unique per load
            runner.run("put", f"PUT '{parquet.as_uri()}' {location} {PUT_OPTIONS}")
            runner.run("copy", f"COPY INTO {stage_table} FROM {location} {COPY_OPTIONS}")
        [(staged,)] = runner.run("count staged rows", f"SELECT COUNT(*) FROM {stage_table}")
        if staged != rows:
            raise WarehouseLoadError(f"{runner.table}: step 'copy' staged {staged} of {rows} rows")

    def _existing_columns(self, runner: StatementRunner, table: str) -> list[tuple[str, str]]:
        rows = runner.run(
            "read target columns",
            f"SELECT COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE "
            f"FROM {quote_identifier(self.database)}.INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            [validate_identifier(self.schema_name), validate_identifier(table)],
        )
        return [(name, _info_schema_type(data_type, p, s)) for name, data_type, p, s in rows]

    def _ensure_target(self, runner: StatementRunner, plan: LoadPlan) -> bool:
        """Create the target, or recreate it when its columns differ; True if (re)created."""
        existing = self._existing_columns(runner, plan.table)
        if existing == plan.columns:
            return False
        if existing:  # DDL auto-commits, so this stays outside the swap transaction
            logger.warning("%s: columns changed from %s, recreating", runner.table, existing)
        create = "CREATE OR REPLACE TABLE" if existing else "CREATE TABLE IF NOT EXISTS"
        target = self._quoted(plan.table)
        runner.run("create target", f"{create} {target} ({plan.column_ddl()})")
        return True

    def _swap_in(self, runner: StatementRunner, plan: LoadPlan, stage_table: str) -> None:
        target = self._quoted(plan.table)
        column_list = ", ".join(quote_identifier(name) for name, _ in plan.columns)
        runner.run("begin", "BEGIN")
        try:
            runner.run("delete", f"DELETE FROM {target}")
            runner.run(
                "insert",
                f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {stage_table}",
            )
            runner.run("commit", "COMMIT")
        except BaseException:
            runner.try_run("rollback", "ROLLBACK")
            raise

    def _apply_comments(self, runner: StatementRunner, plan: LoadPlan, created: bool) -> None:
        """Best-effort documentation after the data is committed; never fails a load."""
        target = self._quoted(plan.table)
        if plan.table_comment:
            runner.try_run(
                "table comment",
                f"COMMENT ON TABLE {target} IS {_string_literal(plan.table_comment)}",
            )
        if not created:  # column comments survive loads; set them again only on a new table
            return
        for column, comment in plan.column_comments.items():
            runner.try_run(
                f"comment on {column}",
                f'ALTER TABLE {target} ALTER COLUMN "{column}" COMMENT {_string_literal(comment)}',
            )

    def table_row_count(self, table: str) -> int:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self._quoted(table)}")
            return int(cursor.fetchone()[0])

    def table_checksum(self, table: str) -> str:
        """Order-independent content fingerprint: row count, XOR and folded sum of row hashes.

        HASH_AGG(*) would do on Snowflake but fakesnow lacks it (and HASH(*)), so the columns
        are listed; the same SQL runs on both, though hash values differ between the two.
        """
        with self.connect() as connection, connection.cursor() as cursor:
            runner = StatementRunner(cursor, self.qualified_name(table))
            columns = [name for name, _ in self._existing_columns(runner, table)]
            if not columns:
                raise WarehouseLoadError(f"{runner.table} does not exist")
            row_hash = f"HASH({', '.join(map(quote_identifier, columns))})"
            [(count, xor, folded)] = runner.run(
                "checksum",
                f"SELECT COUNT(*), COALESCE(BITXOR_AGG({row_hash} % {XOR_MODULUS}), 0), "
                f"CAST(COALESCE(SUM({row_hash} % {SUM_MODULUS}), 0) AS NUMBER(38,0)) "
                f"FROM {self._quoted(table)}",
            )
            return f"{count}:{int(xor)}:{int(folded)}"
