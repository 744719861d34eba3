"""Gold facts on hand-written silver rows; every amount below was worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.customers import OPEN_END
from retail_platform.transforms.gold.facts import (
    build_fact_order_lines,
    build_fact_partner_sales,
    build_fact_payments,
)
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key
from retail_platform_tests.transforms.gold.rates_for_tests import RATES

DAY = date(2026, 10, 1)
EARLY = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)
TIER_CHANGE = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
NOON = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
D = Decimal
CATALOG = pl.LazyFrame({"product_id": ["P1", "P2"]})


def order_lines() -> pl.LazyFrame:
    rows = [
        ("O1", 1, "P1", 2, "10.00", "1.00", "19.00", "paid"),
        ("O1", 2, "P2", 1, "5.00", "0.00", "5.00", "paid"),
        ("O2", 1, "P1", 1, "10.00", "0.00", "10.00", "cancelled"),
        ("O3", 1, "P2", 3, "5.00", "0.50", "14.50", "returned"),
        ("O4", 1, "P1", 1, "10.01", "0.00", "10.01", "paid"),
    ]
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "line_number": line_number,
                "product_id": product_id,
                "quantity": quantity,
                "unit_price": D(price),
                "discount": D(discount),
                "line_amount": D(amount),
                "status": status,
                "order_date": DAY,
                "updated_at": NOON,
            }
            for order_id, line_number, product_id, quantity, price, discount, amount, status in rows
        ],
        schema=silver.ORDER_LINES.polars_schema,
    )


def orders() -> pl.LazyFrame:
    rows = [
        ("O1", "C1", "paid", "web", "EUR", EARLY),
        ("O2", "C2", "cancelled", "app", "EUR", NOON),
        ("O3", "C1", "returned", "store", "USD", NOON),
        ("O4", "C1", "paid", "web", "USD", NOON),
    ]
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "status": status,
                "currency": currency,
                "channel": channel,
                "created_at": created_at,
                "updated_at": created_at,
                "order_date": DAY,
                "line_count": 1,
                "order_total": D("0.00"),
            }
            for order_id, customer_id, status, channel, currency, created_at in rows
        ],
        schema=silver.ORDERS.polars_schema,
    )


def customer_versions() -> pl.LazyFrame:
    """C1 changed tier at 06:00, so O1 (05:00) and O3/O4 (noon) see different versions."""
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    return pl.LazyFrame(
        {
            "customer_key": [
                expected_key("C1", "1"),
                expected_key("C1", "2"),
                expected_key("C2", "1"),
            ],
            "customer_id": ["C1", "C1", "C2"],
            "version": [1, 2, 1],
            "valid_from": [registered, TIER_CHANGE, registered],
            "valid_to": [TIER_CHANGE, OPEN_END, OPEN_END],
        },
        schema_overrides={"version": pl.Int32},
    )


def test_order_line_facts_are_net_of_cancellations_and_returns_and_in_eur() -> None:
    # The build leaves row order to the lake's clustered write: the test sorts itself.
    facts = (
        build_fact_order_lines(order_lines(), orders(), customer_versions(), RATES, CATALOG)
        .collect()
        .sort("order_id", "line_number")
    )

    assert facts.schema == gold.FACT_ORDER_LINES.polars_schema
    c1_v1, c1_v2, c2 = expected_key("C1", "1"), expected_key("C1", "2"), expected_key("C2", "1")
    p1, p2 = expected_key("P1"), expected_key("P2")
    eur, usd = D("1.000000"), D("0.880000")  # USD rate from 2026-07-01
    assert facts.rows() == [
        # 2 x 10.00 - 1.00 = 19.00, earned in full; O1 was placed before C1's tier change
        (expected_key("O1", "1"), "O1", 1, 20261001, c1_v1, p1, "web", "paid", 2, 2,
         D("10.00"), D("1.00"), D("19.00"), D("19.00"), "EUR", eur, D("19.00"), D("19.00")),
        (expected_key("O1", "2"), "O1", 2, 20261001, c1_v1, p2, "web", "paid", 1, 1,
         D("5.00"), D("0.00"), D("5.00"), D("5.00"), "EUR", eur, D("5.00"), D("5.00")),
        # cancelled: gross kept, net quantity and amounts 0
        (expected_key("O2", "1"), "O2", 1, 20261001, c2, p1, "app", "cancelled", 1, 0,
         D("10.00"), D("0.00"), D("10.00"), D("0.00"), "EUR", eur, D("10.00"), D("0.00")),
        # returned, in USD: gross 3 x 5.00 - 0.50 = 14.50 -> 14.50 x 0.88 = 12.76; net 0
        (expected_key("O3", "1"), "O3", 1, 20261001, c1_v2, p2, "store", "returned", 3, 0,
         D("5.00"), D("0.50"), D("14.50"), D("0.00"), "USD", usd, D("12.76"), D("0.00")),
        # 10.01 USD x 0.88 = 8.8088 -> 8.81
        (expected_key("O4", "1"), "O4", 1, 20261001, c1_v2, p1, "web", "paid", 1, 1,
         D("10.01"), D("0.00"), D("10.01"), D("10.01"), "USD", usd, D("8.81"), D("8.81")),
    ]  # fmt: skip


def test_line_whose_order_is_missing_is_kept_with_null_keys() -> None:
    without_o2 = orders().filter(pl.col("order_id") != "O2")

    facts = build_fact_order_lines(order_lines(), without_o2, customer_versions(), RATES, CATALOG)

    orphan = facts.filter(pl.col("order_id") == "O2").collect()
    assert orphan.select("customer_key", "currency").rows() == [(None, None)]


def payments() -> pl.LazyFrame:
    rows = [
        ("PAY1", "O1", "25.50", "EUR", "card", "captured", date(2026, 10, 1)),
        ("PAY2", "O3", "12.00", "USD", "paypal", "refunded", date(2026, 10, 2)),
        ("PAY3", "O4", "7.00", "EUR", None, "failed", date(2026, 10, 2)),
    ]
    return pl.LazyFrame(
        [
            {
                "payment_id": payment_id,
                "order_id": order_id,
                "amount": D(amount),
                "currency": currency,
                "method": method,
                "status": status,
                "created_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                "payment_date": day,
            }
            for payment_id, order_id, amount, currency, method, status, day in rows
        ],
        schema=silver.PAYMENTS.polars_schema,
    )


def test_payment_facts_count_captures_in_refunds_out_and_failures_as_nothing() -> None:
    facts = build_fact_payments(payments(), RATES).collect().sort("payment_id")

    assert facts.schema == gold.FACT_PAYMENTS.polars_schema
    assert facts.rows() == [
        (expected_key("PAY1"), "PAY1", "O1", 20261001, "card", "captured", D("25.50"), "EUR",
         D("1.000000"), D("25.50"), D("25.50")),
        # 12.00 USD x 0.88 = 10.56, paid back
        (expected_key("PAY2"), "PAY2", "O3", 20261002, "paypal", "refunded", D("12.00"), "USD",
         D("0.880000"), D("10.56"), D("-10.56")),
        (expected_key("PAY3"), "PAY3", "O4", 20261002, None, "failed", D("7.00"), "EUR",
         D("1.000000"), D("7.00"), D("0.00")),
    ]  # fmt: skip


def test_partner_sales_facts_find_products_by_sku_and_keep_cancellations_negative() -> None:
    stamp = datetime(2026, 10, 1, 8, 26, tzinfo=UTC)
    sales = pl.LazyFrame(
        [
            ("PTN01", "536365", "SKU-10001", "HEART", 6, "2.55", "15.30", False),
            ("PTN01", "C536366", "SKU-10002", "MUG", -2, "3.00", "-6.00", True),
            ("PTN02", "536367", "POST", "POSTAGE", 1, "18.00", "18.00", False),
        ],
        schema=["partner_id", "invoice_no", "stock_code", "description", "quantity",
                "unit_price", "line_amount", "is_cancellation"],
        orient="row",
    ).with_columns(
        pl.col("quantity").cast(pl.Int32),
        pl.col("unit_price").cast(pl.Decimal(18, 4)),
        pl.col("line_amount").cast(pl.Decimal(18, 2)),
        currency=pl.lit("EUR"),
        invoice_at=pl.lit(stamp),
        invoice_date=pl.lit(DAY),
        partner_customer_id=pl.lit(None, pl.String),
        country=pl.lit("United Kingdom"),
        ingested_at=pl.lit(stamp),
    )  # fmt: skip
    products = pl.LazyFrame({"product_id": ["P00001", "P00002"], "sku": ["SKU-10001", "SKU-10002"]})

    partners = pl.LazyFrame({"partner_id": ["PTN01", "PTN02"]})

    facts = build_fact_partner_sales(sales, products, RATES, partners).collect()

    assert facts.schema == gold.FACT_PARTNER_SALES.polars_schema
    assert facts.select(
        "partner_sale_key", "partner_key", "product_key", "invoice_no", "is_cancellation",
        "quantity", "net_amount", "net_amount_reporting",
    ).rows() == [
        (expected_key("PTN01", "536365", "SKU-10001"), expected_key("PTN01"),
         expected_key("P00001"), "536365", False, 6, D("15.30"), D("15.30")),
        (expected_key("PTN01", "C536366", "SKU-10002"), expected_key("PTN01"),
         expected_key("P00002"), "C536366", True, -2, D("-6.00"), D("-6.00")),
        # a sku missing from the catalog points to the unknown product (-1) and still loads
        (expected_key("PTN02", "536367", "POST"), expected_key("PTN02"), -1, "536367", False,
         1, D("18.00"), D("18.00")),
    ]  # fmt: skip
    assert facts.get_column("net_amount").sum() == D("27.30")  # 15.30 - 6.00 + 18.00
    # PTN02 missing from the directory: its line points to the unknown partner, PTN01's don't
    only_ptn01 = build_fact_partner_sales(sales, products, RATES, partners.head(1)).collect()
    assert only_ptn01.get_column("partner_key").to_list() == [
        expected_key("PTN01"), expected_key("PTN01"), -1
    ]  # fmt: skip


def test_a_product_or_partner_missing_from_its_dimension_points_to_the_unknown_member() -> None:
    lines = order_lines().with_columns(
        pl.when(pl.col("order_id") == "O4")
        .then(pl.lit("P9"))
        .otherwise("product_id")
        .alias("product_id")
    )
    facts = build_fact_order_lines(lines, orders(), customer_versions(), RATES, CATALOG)

    keys = facts.sort("order_id", "line_number").select("order_id", "product_key").collect()
    assert keys.rows() == [
        ("O1", expected_key("P1")), ("O1", expected_key("P2")), ("O2", expected_key("P1")),
        ("O3", expected_key("P2")), ("O4", -1),
    ]  # fmt: skip
