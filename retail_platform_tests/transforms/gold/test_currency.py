from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.transforms.gold.currency import to_reporting, with_fx_rate
from retail_platform_tests.transforms.gold.rates_for_tests import RATES


def convert(rows: list[tuple[str, str, date, str]]) -> list[tuple[str, object, object]]:
    frame = pl.LazyFrame(
        {
            "id": [row[0] for row in rows],
            "currency": [row[1] for row in rows],
            "day": [row[2] for row in rows],
            "amount": [Decimal(row[3]) for row in rows],
        },
        schema_overrides={"amount": pl.Decimal(18, 2)},
    )
    converted = with_fx_rate(frame, RATES, "day").with_columns(
        reporting=to_reporting(pl.col("amount"))
    )
    return converted.sort("id").select("id", "fx_rate", "reporting").collect().rows()


def test_each_amount_uses_the_latest_rate_dated_on_or_before_its_day() -> None:
    rows = convert(
        [
            ("a", "USD", date(2026, 6, 30), "10.00"),  # 10.00 x 0.92 = 9.20
            ("b", "USD", date(2026, 7, 1), "10.00"),  # new rate from Jul 1: 10.00 x 0.88 = 8.80
            ("c", "EUR", date(2026, 10, 1), "5.55"),  # the reporting currency: unchanged
            ("d", "GBP", date(2026, 10, 1), "19.99"),  # 19.99 x 1.17 = 23.3883 -> 23.39
        ]
    )

    assert rows == [
        ("a", Decimal("0.92"), Decimal("9.20")),
        ("b", Decimal("0.88"), Decimal("8.80")),
        ("c", Decimal("1"), Decimal("5.55")),
        ("d", Decimal("1.17"), Decimal("23.39")),
    ]


def test_conversion_rounds_half_away_from_zero_to_cents() -> None:
    rows = convert(
        [
            ("a", "USD", date(2026, 7, 2), "0.50"),  # 0.50 x 0.88 = 0.44 exactly
            ("b", "GBP", date(2026, 7, 2), "0.50"),  # 0.50 x 1.17 = 0.585 -> 0.59 (half up)
            ("c", "GBP", date(2026, 7, 2), "-0.50"),  # -0.585 -> -0.59 (away from zero)
        ]
    )

    assert [reporting for _, _, reporting in rows] == [
        Decimal("0.44"),
        Decimal("0.59"),
        Decimal("-0.59"),
    ]


def test_a_currency_without_a_rate_or_a_day_before_the_first_rate_stays_unconverted() -> None:
    rows = convert(
        [
            ("a", "JPY", date(2026, 10, 1), "100.00"),
            ("b", "USD", date(2025, 12, 31), "10.00"),
        ]
    )

    assert rows == [("a", None, None), ("b", None, None)]


def test_the_reporting_currency_converts_at_1_on_any_date_even_before_the_first_rate() -> None:
    rows = convert([("a", "EUR", date(1997, 1, 1), "7.77")])

    assert rows == [("a", Decimal("1"), Decimal("7.77"))]
