"""Reference exchange rates into the reporting currency, shipped with the platform.

The sources sell in EUR today; these rates let orders in other currencies report in EUR. Each
row gives the reporting-currency value of one unit of a currency from ``rate_date`` until the
next row for that currency. They are planning rates for the embedded data, not market quotes:
in production, feed this table from your treasury's rate source (same columns).
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import silver
from retail_platform.transforms.conform import conform

REPORTING_CURRENCY = "EUR"

# (currency, first day the rate applies, EUR per unit)
REFERENCE_RATES: tuple[tuple[str, date, str], ...] = (
    ("EUR", date(2020, 1, 1), "1"),
    ("GBP", date(2025, 1, 1), "1.190000"),
    ("GBP", date(2026, 1, 1), "1.170000"),
    ("GBP", date(2026, 7, 1), "1.150000"),
    ("USD", date(2025, 1, 1), "0.950000"),
    ("USD", date(2026, 1, 1), "0.920000"),
    ("USD", date(2026, 7, 1), "0.880000"),
    ("CHF", date(2025, 1, 1), "1.050000"),
    ("CHF", date(2026, 1, 1), "1.060000"),
    ("SEK", date(2026, 1, 1), "0.087000"),
    ("DKK", date(2026, 1, 1), "0.134000"),
    ("PLN", date(2026, 1, 1), "0.232000"),
)


# Changes whenever the rates above change, so the asset is rebuilt when they do.
REFERENCE_RATES_VERSION = hashlib.sha256(repr(REFERENCE_RATES).encode()).hexdigest()[:12]


def reference_fx_rates() -> pl.LazyFrame:
    """silver.FX_RATES from ``REFERENCE_RATES``."""
    frame = pl.LazyFrame(
        {
            "currency": [currency for currency, _, _ in REFERENCE_RATES],
            "rate_date": [day for _, day, _ in REFERENCE_RATES],
            "rate_to_reporting": [Decimal(rate) for _, _, rate in REFERENCE_RATES],
        },
        schema_overrides={"rate_to_reporting": silver.FX_RATE},
    ).with_columns(reporting_currency=pl.lit(REPORTING_CURRENCY))
    return conform(frame, silver.FX_RATES)
