"""Data quality rules as pure Polars: each returns the offending rows (empty means it holds)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def null_keys(frame: pl.LazyFrame, key: Sequence[str]) -> pl.LazyFrame:
    return frame.filter(pl.any_horizontal([pl.col(column).is_null() for column in key]))


def duplicate_keys(frame: pl.LazyFrame, key: Sequence[str]) -> pl.LazyFrame:
    """One row per duplicated key value, with how often it occurs."""
    return (
        frame.group_by(list(key))
        .agg(pl.len().alias("occurrences"))
        .filter(pl.col("occurrences") > 1)
        .sort(list(key))
    )


def orphans(
    fact: pl.LazyFrame, foreign_key: str, dimension: pl.LazyFrame, primary_key: str
) -> pl.LazyFrame:
    """Fact rows whose foreign key has no row in the dimension (nulls count as orphans)."""
    keys = dimension.select(pl.col(primary_key).alias(foreign_key)).unique()
    return fact.join(keys, on=foreign_key, how="anti", nulls_equal=False)
