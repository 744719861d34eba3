"""Deterministic keys: surrogate keys from natural keys, and YYYYMMDD date keys."""

from __future__ import annotations

import hashlib
import struct
from datetime import date

import polars as pl

# ASCII unit separator: cannot occur in identifiers, so ("ab", "c") and ("a", "bc") differ.
KEY_SEPARATOR = "\x1f"


# The first 8 bytes of a digest as a big-endian signed integer (faster than int.from_bytes
# on a slice, and the same value).
_FIRST_INT64 = struct.Struct(">q").unpack_from
# The first values looked at to choose how to hash a batch (`_mostly_distinct`).
_SAMPLE = 4_096


def _hash_texts(texts: pl.Series) -> pl.Series:
    """The keys of a batch of texts (nulls stay null), one digest per value."""
    # The UTF-8 bytes come from Polars (its strings are UTF-8 already), so the hot loop
    # neither encodes each value again nor tests it for null.
    present = texts.drop_nulls().cast(pl.Binary).to_list()
    blake2b, first_int64 = hashlib.blake2b, _FIRST_INT64  # local names: this loop is hot
    keys = pl.Series(
        texts.name, [first_int64(blake2b(text).digest())[0] for text in present], pl.Int64
    )
    if keys.len() == texts.len():
        return keys
    placed = pl.Series(texts.name, [None] * texts.len(), dtype=pl.Int64)
    return placed.scatter(texts.is_not_null().arg_true(), keys)


def _hash_series(values: pl.Series) -> pl.Series:
    # hashlib is used instead of Expr.hash because Polars' hash may change between versions,
    # while a surrogate key must be identical across runs, versions and machines.
    # Both ways below give the same keys; which one runs is only a matter of speed.
    if _mostly_distinct(values):  # a table's own key
        return _hash_texts(values)
    # Each distinct value is hashed once (a column repeating its values, e.g. product ids).
    distinct = values.drop_nulls().unique()
    return values.replace_strict(distinct, _hash_texts(distinct), default=None)


def _mostly_distinct(values: pl.Series) -> bool:
    """More than half the values distinct. A key column is told by its first values alone
    (all distinct): counting every value costs a fifth of hashing them. Any repeat among the
    first values (a catalog's ids repeat well before) needs the count of them all."""
    sample = values.head(_SAMPLE)
    if sample.n_unique() == sample.len():
        return True
    return values.n_unique() * 2 > values.len()


def stable_key(*columns: str) -> pl.Expr:
    """Int64 surrogate key of the natural key ``columns``.

    The key is the first 8 bytes (big-endian, signed) of the 64-byte BLAKE2b digest of the
    UTF-8 text of the values joined with the unit separator; non-text values are cast to
    text first (integers as plain decimal digits). A null in any component gives a null key.
    """
    if not columns:
        raise ValueError("stable_key needs at least one column")
    joined = pl.concat_str(
        [pl.col(column).cast(pl.String) for column in columns], separator=KEY_SEPARATOR
    )
    return joined.map_batches(_hash_series, return_dtype=pl.Int64, is_elementwise=True).alias(
        "_".join(columns) + "_key"
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
