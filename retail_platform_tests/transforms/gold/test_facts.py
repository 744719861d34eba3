from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.facts import build_fact_order_lines
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key

STAMP = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
DAY = date(2026, 10, 1)


def order_lines() -> pl.LazyFrame:
    rows = [
        ("O1", 1, "P1", 2, "10.00", "1.00", "19.00", "paid"),
        ("O1", 2, "P2", 1, "5.00", "0.00", "5.00", "paid"),
        ("O2", 1, "P1", 1, "10.00", "0.00", "10.00", "cancelled"),
        ("O3", 1, "P2", 3, "5.00", "0.50", "14.50", "returned"),
    ]
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "line_number": line_number,
                "product_id": product_id,
                "quantity": quantity,
                "unit_price": Decimal(price),
                "discount": Decimal(discount),
                "line_amount": Decimal(amount),
                "status": status,
                "order_date": DAY,
                "updated_at": STAMP,
            }
            for order_id, line_number, product_id, quantity, price, discount, amount, status in rows
        ],
        schema=silver.ORDER_LINES.polars_schema,
    )


def orders() -> pl.LazyFrame:
    rows = [
        ("O1", "C1", "paid", "web"),
        ("O2", "C2", "cancelled", "app"),
        ("O3", "C1", "returned", "store"),
    ]
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "status": status,
                "currency": "EUR",
                "channel": channel,
                "created_at": STAMP,
                "updated_at": STAMP,
                "order_date": DAY,
                "line_count": 1,
                "order_total": Decimal("0.00"),
            }
            for order_id, customer_id, status, channel in rows
        ],
        schema=silver.ORDERS.polars_schema,
    )


def test_fact_rows_carry_keys_and_net_amounts() -> None:
    facts = build_fact_order_lines(order_lines(), orders()).collect()

    assert facts.schema == gold.FACT_ORDER_LINES.polars_schema
    c1, c2 = expected_key("C1"), expected_key("C2")
    p1, p2 = expected_key("P1"), expected_key("P2")
    assert facts.sort("order_id", "line_number").rows() == [
        # discount: 2 x 10.00 - 1.00 = 19.00, earned in full
        (expected_key("O1", "1"), "O1", 1, 20261001, c1, p1, "web", "paid", 2,
         Decimal("10.00"), Decimal("1.00"), Decimal("19.00"), Decimal("19.00"), "EUR"),
        (expected_key("O1", "2"), "O1", 2, 20261001, c1, p2, "web", "paid", 1,
         Decimal("5.00"), Decimal("0.00"), Decimal("5.00"), Decimal("5.00"), "EUR"),
        # cancelled and returned orders keep their gross amount but net to zero
        (expected_key("O2", "1"), "O2", 1, 20261001, c2, p1, "app", "cancelled", 1,
         Decimal("10.00"), Decimal("0.00"), Decimal("10.00"), Decimal("0.00"), "EUR"),
        (expected_key("O3", "1"), "O3", 1, 20261001, c1, p2, "store", "returned", 3,
         Decimal("5.00"), Decimal("0.50"), Decimal("14.50"), Decimal("0.00"), "EUR"),
    ]  # fmt: skip


def test_line_whose_order_is_missing_is_kept_with_null_customer() -> None:
    facts = build_fact_order_lines(order_lines(), orders().filter(pl.col("order_id") != "O2"))

    orphan = facts.filter(pl.col("order_id") == "O2").collect()

    assert orphan.height == 1
    assert orphan["customer_key"].to_list() == [None]
