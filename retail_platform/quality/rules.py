"""Data quality rules as pure Polars: each returns the offending rows (empty means it holds)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

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


def null_counts(frame: pl.LazyFrame, columns: Sequence[str]) -> dict[str, int]:
    """Nulls per column, for the columns that have any."""
    if not columns:
        return {}
    counts = frame.select(pl.col(list(columns)).null_count()).collect().row(0, named=True)
    return {name: int(count) for name, count in counts.items() if count}


def amount_mismatches(
    frame: pl.LazyFrame, amount: str, expected: pl.Expr, tolerance: str = "0.01"
) -> pl.LazyFrame:
    """Rows where ``amount`` differs from ``expected`` by more than ``tolerance`` (or is null).

    Compared as Decimal(38, 6), so the tolerance of a cent is exact.
    """
    wide = pl.Decimal(38, 6)
    difference = (pl.col(amount).cast(wide) - expected.cast(wide)).abs()
    limit = pl.lit(tolerance).cast(wide)
    return frame.with_columns(_difference=difference).filter(
        pl.col("_difference").is_null() | (pl.col("_difference") > limit)
    )


def totals_mismatches(
    left: pl.LazyFrame, right: pl.LazyFrame, by: Sequence[str], value: str
) -> pl.LazyFrame:
    """Groups ``by`` whose summed ``value`` differs between ``left`` and ``right``.

    A group present on one side only counts with a total of 0 on the other. Output: the group
    columns, ``left_total``, ``right_total``, sorted by the group.
    """
    group = list(by)
    left_totals = left.group_by(group).agg(left_total=pl.col(value).sum())
    right_totals = right.group_by(group).agg(right_total=pl.col(value).sum())
    zero = pl.lit(0).cast(pl.Decimal(38, 2))
    return (
        left_totals.join(right_totals, on=group, how="full", coalesce=True, nulls_equal=True)
        .with_columns(
            pl.col("left_total").cast(pl.Decimal(38, 2)).fill_null(zero),
            pl.col("right_total").cast(pl.Decimal(38, 2)).fill_null(zero),
        )
        .filter(pl.col("left_total") != pl.col("right_total"))
        .sort(group)
    )


def missing_days(days: pl.LazyFrame, column: str) -> list[date]:
    """Days between the first and the last value of ``column`` that do not occur in it."""
    present = days.select(pl.col(column).unique()).collect().get_column(column)
    if present.is_empty():
        return []
    calendar = pl.date_range(present.min(), present.max(), "1d", eager=True)
    return sorted(set(calendar.to_list()) - set(present.to_list()))


def missing_partitions(materialized: Iterable[str]) -> list[str]:
    """Daily partition keys (YYYY-MM-DD) between the first and last given that are absent."""
    days = pl.LazyFrame({"day": sorted(materialized)}, schema={"day": pl.String})
    gaps = missing_days(days.select(pl.col("day").str.to_date("%Y-%m-%d")), "day")
    return [day.isoformat() for day in gaps]


def markdown_table(frame: pl.DataFrame, limit: int = 5) -> str:
    """The first ``limit`` rows as a markdown table; 'none' when there are none."""
    if frame.is_empty():
        return "none"
    sample = frame.head(limit)
    header = "| " + " | ".join(sample.columns) + " |\n|" + "---|" * sample.width + "\n"
    return header + "\n".join("| " + " | ".join(map(str, row)) + " |" for row in sample.rows())
