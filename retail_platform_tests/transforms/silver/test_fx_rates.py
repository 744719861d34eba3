"""Cross rates through EUR from the ECB-style feed, into any reporting currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from retail_platform.contracts import silver
from retail_platform.resources.fx import parse_eurofxref
from retail_platform.transforms.silver.fx_rates import (
    UnknownReportingCurrencyError,
    check_reporting_currency,
    rates_to_reporting,
)

D = Decimal
# Units per 1 EUR, as the ECB publishes them (newest day first, trailing comma, N/A gaps).
FEED = "Date,USD,GBP,JPY,\n2024-01-03,1.1200,N/A,N/A,\n2024-01-02,1.1000,0.8500,160.00,\n"


def _rates(reporting: str) -> list[tuple[str, date, Decimal]]:
    units = parse_eurofxref(FEED, "test feed")
    frame = rates_to_reporting(units.lazy(), reporting).collect()
    assert frame.schema == silver.FX_RATES.polars_schema
    assert frame.get_column("reporting_currency").unique().to_list() == [reporting]
    return frame.select("currency", "rate_date", "rate_to_reporting").rows()


def test_rates_into_eur_are_the_inverse_of_the_units_per_euro() -> None:
    assert _rates("EUR") == [
        ("EUR", date(2024, 1, 2), D("1.0000000000")),
        ("EUR", date(2024, 1, 3), D("1.0000000000")),
        ("GBP", date(2024, 1, 2), D("1.1764705882")),  # 1 / 0.85 = 1.176470588235...
        ("JPY", date(2024, 1, 2), D("0.0062500000")),  # 1 / 160
        ("USD", date(2024, 1, 2), D("0.9090909091")),  # 1 / 1.1 = 0.909090909090...
        ("USD", date(2024, 1, 3), D("0.8928571429")),  # 1 / 1.12 = 0.892857142857...
    ]


def test_rates_into_usd_cross_through_the_euro() -> None:
    assert _rates("USD") == [
        ("EUR", date(2024, 1, 2), D("1.1000000000")),
        ("EUR", date(2024, 1, 3), D("1.1200000000")),
        ("GBP", date(2024, 1, 2), D("1.2941176471")),  # 1.1 / 0.85 = 1.294117647058...
        ("JPY", date(2024, 1, 2), D("0.0068750000")),  # 1.1 / 160
        ("USD", date(2024, 1, 2), D("1.0000000000")),
        ("USD", date(2024, 1, 3), D("1.0000000000")),
    ]


def test_an_unknown_reporting_currency_is_refused_naming_what_the_feed_has() -> None:
    units = parse_eurofxref(FEED, "test feed")

    check_reporting_currency(units, "GBP")
    with pytest.raises(
        UnknownReportingCurrencyError,
        match="'CHF' is not in the FX feed; it has EUR, GBP, JPY, USD",
    ):
        check_reporting_currency(units, "CHF")


def test_the_shipped_snapshot_reaches_back_to_1999_and_has_no_1998_rate() -> None:
    from retail_platform.local.fx_feed import SNAPSHOT
    from retail_platform.resources.fx import FxRatesFeedResource

    units = FxRatesFeedResource(url=SNAPSHOT.as_uri()).rates_per_base()

    assert units.get_column("rate_date").min() == date(1999, 1, 4)
    first_usd = units.filter(pl.col("currency") == "USD").row(0, named=True)
    assert first_usd == {
        "rate_date": date(1999, 1, 4),
        "currency": "USD",
        "units_per_base": D("1.178900"),
    }
