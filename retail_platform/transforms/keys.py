"""Deterministic keys: surrogate keys from natural keys, and YYYYMMDD date keys."""

from __future__ import annotations

from datetime import date

import polars as pl
import polars_hash as plh

# ASCII unit separator: cannot occur in identifiers, so ("ab", "c") and ("a", "bc") differ.
KEY_SEPARATOR = "\x1f"
# The XXH64 seed of the key rule. 42 is Spark SQL's seed for xxhash64, so a Spark or
# Databricks user recomputes a key with `xxhash64(concat_ws(chr(31), ...))`.
KEY_SEED = 42
# The name of the rule, recorded with every gold table (assets/gold/key_rule.py): a table
# written under another rule (releases before this one used BLAKE2b) is rebuilt whole.
KEY_RULE = "xxh64-seed42-utf8-unit-separator"


def stable_key(*columns: str) -> pl.Expr:
    """Int64 surrogate key of the natural key ``columns``.

    The key is XXH64 with seed 42 of the UTF-8 text of the values joined with the unit
    separator (0x1F), reinterpreted as a signed Int64 (two's complement). Non-text values
    are cast to text first (integers as plain decimal digits). A null in any component
    gives a null key. When no component is null this is exactly Spark SQL's
    ``xxhash64(concat_ws(chr(31), a, b, ...))`` (with non-text parts cast to STRING).
    """
    if not columns:
        raise ValueError("stable_key needs at least one column")
    # XXH64 is a specified algorithm computed natively by the polars-hash plugin: Polars'
    # own Expr.hash may change between versions, and a surrogate key must be identical
    # across runs, versions and machines. Hashing every value natively (a few ns each) is
    # ten times cheaper than finding the distinct values first, so there is no such step.
    joined = plh.concat_str(
        [pl.col(column).cast(pl.String) for column in columns], separator=KEY_SEPARATOR
    )
    return (
        joined.nchash.xxhash64(seed=KEY_SEED)
        .reinterpret(signed=True)
        .alias("_".join(columns) + "_key")
    )


def date_key_of(day: date) -> int:
    """``date_key`` of one Python date, e.g. 2026-10-31 -> 20261031 (slice values, predicates)."""
    return day.year * 10_000 + day.month * 100 + day.day


def date_key(column: str | pl.Expr) -> pl.Expr:
    """YYYYMMDD as Int32 of a Date (or Datetime) column, e.g. 2026-10-31 -> 20261031."""
    value = pl.col(column) if isinstance(column, str) else column
    return (
        value.dt.year().cast(pl.Int32) * 10_000
        + value.dt.month().cast(pl.Int32) * 100
        + value.dt.day().cast(pl.Int32)
    )
