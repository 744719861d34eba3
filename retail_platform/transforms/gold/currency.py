"""Conversion into the reporting currency with the rate valid on the transaction date."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import MONEY
from retail_platform.contracts.silver import FX_RATE

# Products of Decimal(18, 2) amounts and Decimal(20, 10) rates fit here before rounding.
_PRODUCT_DTYPE = pl.Decimal(38, 10)


def with_fx_rate(frame: pl.LazyFrame, rates: pl.LazyFrame, on: str) -> pl.LazyFrame:
    """``frame`` with ``fx_rate``: its ``currency``'s latest rate dated on or before ``on``;
    1 for the reporting currency (``rates.reporting_currency``), on any date.

    Rows without such a rate get a null rate (and null converted amounts), which the
    fx_rates_cover_facts check reports naming currency and dates, rather than a guessed one.
    Row order is not kept.
    """
    table = rates.select(
        pl.col("currency"),
        pl.col("rate_date"),
        pl.col("rate_to_reporting").alias("fx_rate"),
    ).sort("rate_date")
    # The as-of lookup runs once per distinct (currency, day), a few hundred pairs, and is
    # joined back: sorting every row of a fact by date would cost far more.
    pairs = frame.select("currency", on).unique().sort(on)
    rated = pairs.join_asof(
        table,
        left_on=on,
        right_on="rate_date",
        by="currency",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted just above
    ).drop("rate_date")
    reporting = rates.select(pl.col("reporting_currency").first().alias("_reporting"))
    rated = rated.join(reporting, how="cross").with_columns(
        fx_rate=pl.when(pl.col("currency") == pl.col("_reporting"))
        .then(pl.lit(1).cast(FX_RATE))
        .otherwise(pl.col("fx_rate"))
    )
    return frame.join(rated.drop("_reporting"), on=["currency", on], how="left")


def to_reporting(amount: pl.Expr, rate: str = "fx_rate") -> pl.Expr:
    """amount x rate, rounded half away from zero to cents (half-up for positive amounts)."""
    product = amount.cast(_PRODUCT_DTYPE) * pl.col(rate).cast(_PRODUCT_DTYPE)
    return product.round(2, mode="half_away_from_zero").cast(MONEY)
