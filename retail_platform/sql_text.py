"""SQL text primitives: the one place that decides how an identifier or a literal is written.

Used by the lake (Delta predicates and merge conditions, DataFusion SQL), the warehouse loader
and governance (Snowflake). Only identifiers that pass ``plain_identifier`` and literals built
here are ever spliced into SQL text; every other data value travels as a bound parameter.
Pure: no Dagster, no connection, so governance and the resources can both import it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl

IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")

# Smallest NUMBER precision that holds every value of each integer dtype, so BI tools see the
# real range (NUMBER(38,0) for every integer reads as a 38-digit decimal in some clients).
_INTEGER_PRECISION: dict[type[pl.DataType], int] = {
    pl.Int8: 3,
    pl.Int16: 5,
    pl.Int32: 10,
    pl.Int64: 19,
    pl.UInt8: 3,
    pl.UInt16: 5,
    pl.UInt32: 10,
    pl.UInt64: 20,
}
_TYPE_BY_BASE_DTYPE: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.Datetime: "TIMESTAMP_NTZ",  # time-zone aware values are stored as UTC by the loader
}


class InvalidIdentifierError(ValueError):
    """A table or column name that is not a plain identifier (letters, digits, underscore)."""


class UnsupportedColumnTypeError(TypeError):
    """A frame column whose polars dtype has no Snowflake mapping here."""


def plain_identifier(name: str) -> str:
    """The name as it is, if it needs no quoting anywhere; else InvalidIdentifierError."""
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise InvalidIdentifierError(f"{name!r} is not a plain identifier (column or table name)")
    return name


def validate_identifier(name: str) -> str:
    """Snowflake: the upper-cased plain identifier (unquoted names resolve upper case)."""
    return plain_identifier(name).upper()


def quote_identifier(*names: str) -> str:
    """Validated, upper-cased and double-quoted, dotted when several: "DB"."SCHEMA"."T"."""
    return ".".join(f'"{validate_identifier(name)}"' for name in names)


def sql_literal(value: str) -> str:
    """A standard SQL string literal, quotes doubled: the value can never end it early.

    Exact for any value in DataFusion (Delta predicates), and in Snowflake for values without
    a backslash (Snowflake reads backslash escapes): the validated names governance probes bind.
    """
    return "'" + value.replace("'", "''") + "'"


def typed_literal(value: object) -> str:
    """A Delta (DataFusion) predicate literal of a typed value: an int as digits, a string
    quoted by sql_literal, a date as its ISO text; any other type is refused (TypeError)."""
    if isinstance(value, bool) or not isinstance(value, int | str | date):
        raise TypeError(f"no literal for {type(value).__name__} value {value!r}")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, datetime):
        raise TypeError(f"no literal for datetime value {value!r}")
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    return sql_literal(value)


def string_literal(text: str) -> str:
    """A single-quoted literal for text Snowflake cannot bind (comments, policy bodies).

    Backslashes are escaped; apostrophes become typographic ones, because fakesnow splices
    comment text into its own SQL unescaped, and the descriptions read the same either way.
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\u2019") + "'"


def snowflake_type(column: str, dtype: pl.DataType) -> str:
    """The Snowflake column type for a polars dtype, spelled as INFORMATION_SCHEMA reports it.

    Money and rates are polars Decimals and become NUMBER(p,s): never FLOAT for currency.
    """
    if dtype.is_integer():  # Int128 may exceed NUMBER(38,0); Snowflake rejects such values
        return f"NUMBER({_INTEGER_PRECISION.get(dtype.base_type(), 38)},0)"
    if isinstance(dtype, pl.Decimal):  # polars caps precision at 38, as Snowflake does
        return f"NUMBER({dtype.precision},{dtype.scale})"
    if dtype.is_float():
        return "FLOAT"
    if sql_type := _TYPE_BY_BASE_DTYPE.get(dtype.base_type()):
        return sql_type
    raise UnsupportedColumnTypeError(f"column {column!r}: polars dtype {dtype} is not supported")


def type_family(sql_type: str) -> str:
    """NUMBER(19,0) -> NUMBER: the type a masking policy signature names."""
    return sql_type.split("(", 1)[0]


def info_schema_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """INFORMATION_SCHEMA.COLUMNS spelling -> the spelling snowflake_type produces."""
    if data_type == "NUMBER":
        return f"NUMBER({precision},{scale})"
    return {"TEXT": "VARCHAR"}.get(data_type, data_type)
