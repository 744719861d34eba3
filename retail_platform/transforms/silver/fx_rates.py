"""Exchange rates into the reporting currency, from a reference-rate feed quoted against a base.

The feed (the ECB's euro reference rates: resources/fx.py) gives, per day, the units of each
currency worth one unit of the base currency (EUR). The rate of currency C in reporting
currency R is then a cross rate through the base: units(R) / units(C), both of the same day
(units(EUR) = 1), rounded half away from zero to 10 decimals. Each row applies from its
``rate_date`` until the next row of that currency (weekends and holidays use the last rate).
"""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import silver
from retail_platform.transforms.conform import conform

BASE_CURRENCY = "EUR"
DEFAULT_REPORTING_CURRENCY = "EUR"
RATE_DECIMALS = 10
_WIDE = pl.Decimal(38, 18)


class UnknownReportingCurrencyError(ValueError):
    """The reporting currency is neither the base currency nor in the feed."""


def rates_to_reporting(
    units_per_base: pl.LazyFrame, reporting_currency: str, base: str = BASE_CURRENCY
) -> pl.LazyFrame:
    """silver.FX_RATES from the feed's long form (rate_date, currency, units_per_base).

    Every currency of the feed and the base itself get a rate on each day the feed has both
    it and the reporting currency; the reporting currency's own rate is 1 (and gold converts
    it at 1 on any date, also before the feed's first day).
    """
    days = units_per_base.select("rate_date").unique()
    with_base = pl.concat(
        [
            units_per_base.select("rate_date", "currency", pl.col("units_per_base").cast(_WIDE)),
            days.with_columns(currency=pl.lit(base), units_per_base=pl.lit(1).cast(_WIDE)),
        ]
    )
    reporting_units = with_base.filter(pl.col("currency") == reporting_currency).select(
        "rate_date", pl.col("units_per_base").alias("_reporting_units")
    )
    rates = (
        with_base.join(reporting_units, on="rate_date", how="inner")
        .with_columns(
            rate_to_reporting=(pl.col("_reporting_units") / pl.col("units_per_base"))
            .round(RATE_DECIMALS, mode="half_away_from_zero")
            .cast(silver.FX_RATE),
            reporting_currency=pl.lit(reporting_currency),
        )
        .sort("currency", "rate_date")
    )
    return conform(rates, silver.FX_RATES)


def check_reporting_currency(
    units_per_base: pl.DataFrame, reporting_currency: str, base: str = BASE_CURRENCY
) -> None:
    """Raises, naming the currencies the feed has, when the reporting currency is not one."""
    available = {base, *units_per_base.get_column("currency").unique().to_list()}
    if reporting_currency not in available:
        raise UnknownReportingCurrencyError(
            f"reporting currency {reporting_currency!r} is not in the FX feed; it has "
            + ", ".join(sorted(available))
        )
