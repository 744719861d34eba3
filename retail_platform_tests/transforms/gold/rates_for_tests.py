"""Exchange rates for the gold tests: EUR at parity, USD 0.92 then 0.88 from July, GBP 1.17."""

from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import silver

RATES = pl.LazyFrame(
    {
        "currency": ["EUR", "USD", "USD", "GBP"],
        "rate_date": [date(2020, 1, 1), date(2026, 1, 1), date(2026, 7, 1), date(2026, 1, 1)],
        "rate_to_reporting": [Decimal("1"), Decimal("0.92"), Decimal("0.88"), Decimal("1.17")],
        "reporting_currency": ["EUR"] * 4,
    },
    schema=silver.FX_RATES.polars_schema,
)
