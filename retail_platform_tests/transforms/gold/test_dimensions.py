from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.dimensions import (
    build_dim_date,
    build_dim_date_spanning,
    build_dim_partner,
    build_dim_product,
)
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key

STAMP = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_dim_product_adds_the_stable_key_and_the_unknown_product() -> None:
    products = pl.LazyFrame(
        [
            {
                "product_id": "P00001",
                "sku": "85123A",
                "name": "Heart",
                "category": "home",
                "brand": "Acme",
                "unit_price": Decimal("2.55"),
                "currency": "GBP",
                "active": True,
                "updated_at": STAMP,
            }
        ],
        schema=silver.PRODUCTS.polars_schema,
    )

    dim = build_dim_product(products).collect()

    assert dim.schema == gold.DIM_PRODUCT.polars_schema
    assert dim.rows() == [
        (expected_key("P00001"), "P00001", "85123A", "Heart", "home", "Acme",
         Decimal("2.55"), "GBP", True),
        (-1, "<unknown>", "<unknown>", "Unknown product", None, None, Decimal("0.00"), "XXX",
         False),
    ]  # fmt: skip


def test_dim_partner_keeps_the_masked_contact_and_adds_the_key_and_the_unknown_partner() -> None:
    partners = pl.LazyFrame(
        [
            {
                "partner_id": "PTN01",
                "name": "Harbour & Pine Ltd",
                "country": "GB",
                "commission_rate": Decimal("0.1200"),
                "contact_email": "***@harbour.example.com",
                "onboarded_at": date(2024, 3, 1),
                "ingested_at": STAMP,
            }
        ],
        schema=silver.PARTNERS.polars_schema,
    )

    dim = build_dim_partner(partners).collect()

    assert dim.schema == gold.DIM_PARTNER.polars_schema
    assert dim.rows() == [
        (expected_key("PTN01"), "PTN01", "Harbour & Pine Ltd", "GB", Decimal("0.1200"),
         date(2024, 3, 1), "***@harbour.example.com"),
        (-1, "<unknown>", "Unknown partner", "ZZ", Decimal("0"), date(1900, 1, 1), None),
    ]  # fmt: skip


def test_dim_date_is_contiguous_across_a_year_boundary_with_iso_weeks() -> None:
    dim = build_dim_date(date(2026, 12, 30), date(2027, 1, 4)).collect()

    assert dim.schema == gold.DIM_DATE.polars_schema
    assert dim.select(
        "date_key", "year", "quarter", "month", "month_name", "year_month", "day_of_month"
    ).rows() == [
        (20261230, 2026, 4, 12, "December", "2026-12", 30),
        (20261231, 2026, 4, 12, "December", "2026-12", 31),
        (20270101, 2027, 1, 1, "January", "2027-01", 1),
        (20270102, 2027, 1, 1, "January", "2027-01", 2),
        (20270103, 2027, 1, 1, "January", "2027-01", 3),
        (20270104, 2027, 1, 1, "January", "2027-01", 4),
    ]
    # 2026 starts on a Thursday, so it has an ISO week 53 that runs until Sunday 2027-01-03.
    assert dim.select(
        "date", "day_of_week", "day_name", "iso_year", "iso_week", "iso_year_week", "is_weekend"
    ).rows() == [
        (date(2026, 12, 30), 3, "Wednesday", 2026, 53, "2026-W53", False),
        (date(2026, 12, 31), 4, "Thursday", 2026, 53, "2026-W53", False),
        (date(2027, 1, 1), 5, "Friday", 2026, 53, "2026-W53", False),
        (date(2027, 1, 2), 6, "Saturday", 2026, 53, "2026-W53", True),
        (date(2027, 1, 3), 7, "Sunday", 2026, 53, "2026-W53", True),
        (date(2027, 1, 4), 1, "Monday", 2027, 1, "2027-W01", False),
    ]


def test_fiscal_year_starts_in_february_and_is_named_by_the_year_it_ends_in() -> None:
    days = [date(2026, 1, 31), date(2026, 2, 1), date(2026, 4, 30), date(2026, 5, 1),
            date(2026, 10, 15), date(2027, 1, 31)]  # fmt: skip
    dim = build_dim_date(date(2026, 1, 31), date(2027, 1, 31)).collect()

    fiscal = dim.filter(pl.col("date").is_in(days)).select(
        "date", "fiscal_year", "fiscal_quarter", "fiscal_month"
    )

    assert fiscal.rows() == [
        (date(2026, 1, 31), 2026, 4, 12),  # last day of fiscal 2026
        (date(2026, 2, 1), 2027, 1, 1),  # first day of fiscal 2027
        (date(2026, 4, 30), 2027, 1, 3),
        (date(2026, 5, 1), 2027, 2, 4),
        (date(2026, 10, 15), 2027, 3, 9),
        (date(2027, 1, 31), 2027, 4, 12),
    ]


def test_dim_date_of_a_single_day_and_of_a_reversed_range() -> None:
    assert build_dim_date(date(2026, 2, 28), date(2026, 2, 28)).collect().height == 1
    with pytest.raises(ValueError, match="after"):
        build_dim_date(date(2026, 3, 2), date(2026, 3, 1))


def test_dim_date_spans_first_to_last_date_without_gaps() -> None:
    dates = pl.LazyFrame({"date": [date(2026, 3, 1), date(2026, 2, 27), date(2026, 3, 1)]})

    dim = build_dim_date_spanning(dates).collect()

    # 2026 is not a leap year: Feb 27, Feb 28, Mar 1.
    assert dim["date_key"].to_list() == [20260227, 20260228, 20260301]
    empty = pl.LazyFrame(schema={"date": pl.Date})
    assert build_dim_date_spanning(empty).collect().height == 0
