"""Where an incremental read of a bronze table resumes: its latest timestamp, parsed."""

from __future__ import annotations

from datetime import datetime

import polars as pl


def parse_timestamp(column: str) -> pl.Expr:
    """ISO-8601 text (Z or an offset, optional fraction) -> UTC datetime; null otherwise."""
    text = pl.col(column)
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC", strict=False),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False),
    )


def rows_at_watermark(rows: pl.LazyFrame, column: str = "updated_at") -> pl.LazyFrame:
    """The rows holding the latest parseable `column` (ties included), with it parsed as
    `_watermark`: where an incremental read resumes. Empty when nothing parses."""
    parsed = rows.select(column, "_source_key", parse_timestamp(column).alias("_watermark"))
    return parsed.filter(pl.col("_watermark") == pl.col("_watermark").max())


def rows_before(rows: pl.LazyFrame, since: datetime, column: str = "updated_at") -> pl.LazyFrame:
    """Rows a re-read from `since` on will not deliver again: earlier ones, and those whose
    `column` does not parse (no re-read can place them, so they are never dropped)."""
    parsed = parse_timestamp(column)
    return rows.filter(parsed.is_null() | (parsed < since))
