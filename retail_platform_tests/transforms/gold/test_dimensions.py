from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.dimensions import (
    build_dim_customer,
    build_dim_date,
    build_dim_date_for_orders,
    build_dim_product,
)
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key

REGISTERED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def customers(*ids: str) -> pl.LazyFrame:
    rows = [
        {
            "customer_id": customer_id,
            "email_token": f"token-{customer_id}",
            "phone_token": None,
            "birth_year": 1990,
            "city": "London",
            "postcode_prefix": "SW",
            "country": "GB",
            "marketing_consent": True,
            "loyalty_tier": "gold",
            "created_at": REGISTERED,
            "updated_at": REGISTERED,
            "is_deleted": False,
        }
        for customer_id in ids
    ]
    return pl.LazyFrame(rows, schema=silver.CUSTOMERS.polars_schema)


def orders(*rows: tuple[str, str, str, date]) -> pl.LazyFrame:
    stamp = datetime(2026, 10, 1, tzinfo=UTC)
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "status": status,
                "currency": "EUR",
                "channel": "web",
                "created_at": stamp,
                "updated_at": stamp,
                "order_date": order_date,
                "line_count": 1,
                "order_total": Decimal("10.00"),
            }
            for order_id, customer_id, status, order_date in rows
        ],
        schema=silver.ORDERS.polars_schema,
    )


def test_dim_customer_first_order_ignores_cancelled_orders() -> None:
    silver_orders = orders(
        ("O1", "C1", "cancelled", date(2026, 10, 1)),
        ("O2", "C1", "returned", date(2026, 10, 2)),
        ("O3", "C1", "paid", date(2026, 10, 3)),
        ("O4", "C2", "cancelled", date(2026, 10, 1)),
    )

    dim = build_dim_customer(customers("C1", "C2", "C3"), silver_orders).collect()

    assert dim.schema == gold.DIM_CUSTOMER.polars_schema
    assert dim.sort("customer_id").select(
        "customer_key", "customer_id", "registered_at", "first_order_date"
    ).rows() == [
        (expected_key("C1"), "C1", REGISTERED, date(2026, 10, 2)),  # returned still counts
        (expected_key("C2"), "C2", REGISTERED, None),  # only a cancelled order
        (expected_key("C3"), "C3", REGISTERED, None),  # never ordered
    ]


def test_dim_product_adds_the_stable_key() -> None:
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
                "updated_at": REGISTERED,
            }
        ],
        schema=silver.PRODUCTS.polars_schema,
    )

    dim = build_dim_product(products).collect()

    assert dim.schema == gold.DIM_PRODUCT.polars_schema
    assert dim.rows() == [
        (
            expected_key("P00001"),
            "P00001",
            "85123A",
            "Heart",
            "home",
            "Acme",
            Decimal("2.55"),
            "GBP",
            True,
        )
    ]


def test_dim_date_is_contiguous_across_a_year_boundary_with_iso_weeks() -> None:
    dim = build_dim_date(date(2026, 12, 30), date(2027, 1, 4)).collect()

    assert dim.schema == gold.DIM_DATE.polars_schema
    assert dim.select(
        "date_key", "year", "quarter", "month", "month_name", "day_of_month"
    ).rows() == [
        (20261230, 2026, 4, 12, "December", 30),
        (20261231, 2026, 4, 12, "December", 31),
        (20270101, 2027, 1, 1, "January", 1),
        (20270102, 2027, 1, 1, "January", 2),
        (20270103, 2027, 1, 1, "January", 3),
        (20270104, 2027, 1, 1, "January", 4),
    ]
    # 2026 starts on a Thursday, so it has an ISO week 53 that runs until Sunday 2027-01-03.
    assert dim.select(
        "date", "day_of_week", "day_name", "iso_year", "iso_week", "is_weekend"
    ).rows() == [
        (date(2026, 12, 30), 3, "Wednesday", 2026, 53, False),
        (date(2026, 12, 31), 4, "Thursday", 2026, 53, False),
        (date(2027, 1, 1), 5, "Friday", 2026, 53, False),
        (date(2027, 1, 2), 6, "Saturday", 2026, 53, True),
        (date(2027, 1, 3), 7, "Sunday", 2026, 53, True),
        (date(2027, 1, 4), 1, "Monday", 2027, 1, False),
    ]


def test_dim_date_of_a_single_day_and_of_a_reversed_range() -> None:
    assert build_dim_date(date(2026, 2, 28), date(2026, 2, 28)).collect().height == 1
    with pytest.raises(ValueError, match="after"):
        build_dim_date(date(2026, 3, 2), date(2026, 3, 1))


def test_dim_date_for_orders_spans_first_to_last_order_date_without_gaps() -> None:
    silver_orders = orders(
        ("O1", "C1", "paid", date(2026, 2, 27)),
        ("O2", "C1", "paid", date(2026, 3, 1)),
    )

    dim = build_dim_date_for_orders(silver_orders).collect()

    # 2026 is not a leap year: Feb 27, Feb 28, Mar 1.
    assert dim["date_key"].to_list() == [20260227, 20260228, 20260301]
    assert build_dim_date_for_orders(orders()).collect().height == 0
