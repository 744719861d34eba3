"""What a load will do, worked out and validated before any connection is opened.

A plan names the target, its typed columns, the primary key and, for incremental tables, the
partition column. ``partition_digests`` fingerprints the frame per partition (the whole frame
is one partition for full tables): the loader compares them with what the last load recorded,
and loads only what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import polars.selectors as cs

from retail_platform.sql_text import (
    InvalidIdentifierError,
    quote_identifier,
    snowflake_type,
    string_literal,
    validate_identifier,
)

STAGE_TABLE_SUFFIX = "__STAGE"
LOAD_ID_COLUMN, LOADED_AT_COLUMN = "_LOAD_ID", "_LOADED_AT"
AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    (LOAD_ID_COLUMN, "VARCHAR"),
    (LOADED_AT_COLUMN, "TIMESTAMP_NTZ"),
)
AUDIT_COMMENTS = {
    LOAD_ID_COLUMN: "Id of the warehouse load that last wrote this row.",
    LOADED_AT_COLUMN: "When that load ran (UTC).",
}
WHOLE_TABLE = "*"  # the single partition of a full (non-incremental) table
# Part of every fingerprint: bump it when the way rows reach Snowflake changes, so the next
# load rewrites everything once.
LOADER_FORMAT = "retail-warehouse-load/1"


class PrimaryKeyViolationError(ValueError):
    """Snowflake only declares primary keys, so uniqueness is checked before loading."""


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    description: str = ""


@dataclass(frozen=True)
class LoadPlan:
    table: str
    columns: list[tuple[str, str]]  # (NAME, SQL type) in frame order, audit columns excluded
    primary_key: list[str]
    column_comments: dict[str, str]
    table_comment: str | None
    partition_column: str | None  # None: full replacement on every change
    partition_dtype: pl.DataType | None = None

    @property
    def mode(self) -> str:
        return "incremental" if self.partition_column else "full"

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        return [*self.columns, *AUDIT_COLUMNS]

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def column_ddl(self, target: bool = True) -> str:
        """Column definitions; the target also gets comments and the declared primary key."""
        definitions = []
        for name, sql_type in self.all_columns:
            comment = (self.column_comments | AUDIT_COMMENTS).get(name) if target else None
            suffix = f" COMMENT {string_literal(comment)}" if comment else ""
            definitions.append(f"{quote_identifier(name)} {sql_type}{suffix}")
        if target and self.primary_key:  # Snowflake declares it; plan_load checked it holds
            definitions.append(
                f"PRIMARY KEY ({', '.join(map(quote_identifier, self.primary_key))})"
            )
        return ", ".join(definitions)

    def table_comment_clause(self) -> str:
        return f" COMMENT = {string_literal(self.table_comment)}" if self.table_comment else ""


SUPPORTED_PARTITION_DTYPES = (pl.Date, pl.String)


def plan_load(
    table: str,
    frame: pl.DataFrame,
    columns: Sequence[WarehouseColumn] | None = None,
    primary_key: Sequence[str] = (),
    table_description: str | None = None,
    partition_column: str | None = None,
) -> LoadPlan:
    table_name = validate_identifier(table)
    validate_identifier(table_name + STAGE_TABLE_SUFFIX)  # the stage table must fit, too
    typed = [
        (validate_identifier(name), snowflake_type(name, dtype))
        for name, dtype in frame.schema.items()
    ]
    names = [name for name, _ in typed]
    if len(set(names)) != len(names):
        raise InvalidIdentifierError(f"{table_name}: column names collide in upper case")
    if reserved := sorted(set(names) & {name for name, _ in AUDIT_COLUMNS}):
        raise InvalidIdentifierError(f"{table_name}: {reserved} are reserved for the loader")
    comments = {validate_identifier(c.name): c.description for c in columns or () if c.description}
    if unknown := sorted(set(comments) - set(names)):
        raise ValueError(f"{table_name}: described columns are not in the frame: {unknown}")
    key = [validate_identifier(name) for name in primary_key]
    if unknown := sorted(set(key) - set(names)):
        raise ValueError(f"{table_name}: primary key columns are not in the frame: {unknown}")
    upper = frame.rename(str.upper)
    if key:
        key_frame = upper.select(key)
        if key_frame.is_duplicated().any() or key_frame.null_count().sum_horizontal().item():
            raise PrimaryKeyViolationError(f"{table_name}: primary key {key} has duplicates/nulls")
    partition, partition_dtype = None, None
    if partition_column is not None:
        partition = validate_identifier(partition_column)
        partition_dtype = _check_partition_column(table_name, upper, partition, key)
    return LoadPlan(
        table_name, typed, key, comments, table_description or None, partition, partition_dtype
    )


def _check_partition_column(
    table: str, frame: pl.DataFrame, partition: str, key: list[str]
) -> pl.DataType:
    if partition not in frame.columns:
        raise ValueError(f"{table}: partition column {partition} is not in the frame")
    if not key:  # MERGE matches rows on the primary key
        raise ValueError(f"{table}: an incremental load needs a primary key")
    dtype = frame.schema[partition]
    if not (dtype.is_integer() or isinstance(dtype, SUPPORTED_PARTITION_DTYPES)):
        raise ValueError(f"{table}: partition column {partition} has unsupported type {dtype}")
    if frame.get_column(partition).null_count():
        raise ValueError(f"{table}: partition column {partition} holds nulls")
    return dtype


@dataclass(frozen=True)
class PartitionDigest:
    key: str  # text form, as recorded in the load state table
    value: Any  # the partition value itself, bound as a parameter in SQL
    fingerprint: str
    rows: int


def partition_key_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def partition_value(text: str, dtype: pl.DataType | None) -> Any:
    """The inverse of partition_key_text for a partition column's dtype."""
    if dtype is not None and dtype.is_integer():
        return int(text)
    if dtype == pl.Date:
        return date.fromisoformat(text)
    return text


def partition_digests(plan: LoadPlan, frame: pl.DataFrame) -> dict[str, PartitionDigest]:
    """Content fingerprint per partition: SHA-256 of the rows as CSV, sorted by primary key.

    Sorting makes the fingerprint independent of row order (gold builds do not fix it), and
    CSV text is stable across polars versions, unlike polars' own row hashes.
    """
    upper = frame.rename(str.upper)
    header = f"{LOADER_FORMAT}|{plan.columns}\n".encode()
    order = plan.primary_key or plan.column_names

    def fingerprint(part: pl.DataFrame) -> str:
        body = part.sort(order).write_csv() if not part.is_empty() else ""
        return hashlib.sha256(header + body.encode()).hexdigest()[:32]

    if plan.partition_column is None:
        return {WHOLE_TABLE: PartitionDigest(WHOLE_TABLE, None, fingerprint(upper), upper.height)}
    digests = {}
    for (value,), part in upper.partition_by(plan.partition_column, as_dict=True).items():
        key = partition_key_text(value)
        digests[key] = PartitionDigest(key, value, fingerprint(part), part.height)
    return digests


def parquet_frame(
    plan: LoadPlan, frame: pl.DataFrame, load_id: str, loaded_at: Any
) -> pl.DataFrame:
    """Upper-case names (COPY matches them), aware timestamps as naive UTC, audit columns."""
    aware = cs.datetime(time_zone="*")
    naive_utc = aware.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return (
        frame.with_columns(naive_utc)
        .rename(str.upper)
        .with_columns(
            pl.lit(load_id, pl.String).alias(LOAD_ID_COLUMN),
            pl.lit(loaded_at, pl.Datetime("us")).alias(LOADED_AT_COLUMN),
        )
    )
