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
FINGERPRINT_SLICE_ROWS = 50_000  # rows of CSV text hashed at a time


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
    """The plan of loading ``frame``, its rows checked (primary key, partition column)."""
    plan = plan_schema(
        table, frame.schema, columns, primary_key, table_description, partition_column
    )
    check_rows(plan, frame.rename(str.upper))
    return plan


def plan_schema(
    table: str,
    schema: pl.Schema,
    columns: Sequence[WarehouseColumn] | None = None,
    primary_key: Sequence[str] = (),
    table_description: str | None = None,
    partition_column: str | None = None,
) -> LoadPlan:
    """The plan from the columns alone: a lazy source is checked part by part (check_rows)."""
    table_name = validate_identifier(table)
    validate_identifier(table_name + STAGE_TABLE_SUFFIX)  # the stage table must fit, too
    typed = [
        (validate_identifier(name), snowflake_type(name, dtype)) for name, dtype in schema.items()
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
    partition, partition_dtype = None, None
    if partition_column is not None:
        partition = validate_identifier(partition_column)
        if partition not in names:
            raise ValueError(f"{table_name}: partition column {partition} is not in the frame")
        if not key:  # MERGE matches rows on the primary key
            raise ValueError(f"{table_name}: an incremental load needs a primary key")
        partition_dtype = {n.upper(): d for n, d in schema.items()}[partition]
        if not (
            partition_dtype.is_integer() or isinstance(partition_dtype, SUPPORTED_PARTITION_DTYPES)
        ):
            raise ValueError(
                f"{table_name}: partition column {partition} has unsupported type {partition_dtype}"
            )
    return LoadPlan(
        table_name, typed, key, comments, table_description or None, partition, partition_dtype
    )


def check_rows(plan: LoadPlan, upper: pl.DataFrame) -> None:
    """Primary key unique and non-null, partition column non-null, in these (upper-case) rows.

    A load read in parts checks each part here and the uniqueness across parts on what is
    staged (loader.py): a part holds whole partitions, but a key is not bound to one partition.
    """
    if plan.primary_key:
        key_frame = upper.select(plan.primary_key)
        if key_frame.is_duplicated().any() or key_frame.null_count().sum_horizontal().item():
            raise PrimaryKeyViolationError(
                f"{plan.table}: primary key {plan.primary_key} has duplicates/nulls"
            )
    if plan.partition_column and upper.get_column(plan.partition_column).null_count():
        raise ValueError(f"{plan.table}: partition column {plan.partition_column} holds nulls")


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
    """Content fingerprint per partition of ``frame`` (upper-case names), see ``fingerprint``."""
    if plan.partition_column is None:
        return {
            WHOLE_TABLE: PartitionDigest(WHOLE_TABLE, None, fingerprint(plan, frame), frame.height)
        }
    digests = {}
    for (value,), part in frame.partition_by(plan.partition_column, as_dict=True).items():
        key = partition_key_text(value)
        digests[key] = PartitionDigest(key, value, fingerprint(plan, part), part.height)
    return digests


def fingerprint(plan: LoadPlan, rows: pl.DataFrame, sorted_: bool = False) -> str:
    """SHA-256 of the rows as CSV, sorted by primary key.

    Sorting makes the fingerprint independent of row order (gold builds do not fix it), and
    CSV text is stable across polars versions, unlike polars' own row hashes. The text is
    hashed in slices, so it never exists whole next to the rows (the same digest as one CSV).
    ``sorted_``: the rows already are in that order (a part sorted in its query).
    """
    digest = hashlib.sha256(_format_header(plan))
    ordered = rows if sorted_ else rows.sort(plan.primary_key or plan.column_names)
    for start in range(0, ordered.height, FINGERPRINT_SLICE_ROWS):
        text = ordered.slice(start, FINGERPRINT_SLICE_ROWS).write_csv(include_header=start == 0)
        digest.update(text.encode())
    return digest.hexdigest()[:32]


def format_fingerprint(plan: LoadPlan) -> str:
    """What every fingerprint of this plan starts from: the loader format and the columns.

    Recorded with the load state; when it differs, every partition is read again.
    """
    return hashlib.sha256(_format_header(plan)).hexdigest()[:32]


def _format_header(plan: LoadPlan) -> bytes:
    return f"{LOADER_FORMAT}|{plan.columns}\n".encode()


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
