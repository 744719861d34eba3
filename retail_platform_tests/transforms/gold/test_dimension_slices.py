"""Incremental dimension slices: small hand-built inputs, expected rows worked out by hand."""

from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.customers import OPEN_END, build_dim_customer
from retail_platform.transforms.gold.dimension_slices import (
    DateSpan,
    changed_keys,
    dim_customer_slice,
    dim_date_slice,
    dim_partner_slice,
    dim_product_slice,
    first_order_moves,
)
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key
from retail_platform_tests.transforms.gold.test_customers import (
    REGISTERED,
    TIER_CHANGE,
    customer,
    customers,
    orders,
)


def feed(column: str, *rows: tuple[str | None, str]) -> pl.LazyFrame:
    """A change data feed: (value, _change_type) rows."""
    return pl.LazyFrame(
        {column: [value for value, _ in rows], "_change_type": [kind for _, kind in rows]},
        schema={column: pl.String, "_change_type": pl.String},
    )


def test_changed_keys_take_pre_and_post_images_once_without_nulls_or_the_unknown_id() -> None:
    customer_feed = feed("customer_id", ("C2", "update_preimage"), ("C2", "update_postimage"))
    order_feed = feed(
        "customer_id",
        ("C1", "update_preimage"),  # the order moved from C1 ...
        ("C3", "update_postimage"),  # ... to C3: both first order dates may move
        (None, "insert"),
        ("<unknown>", "delete"),
    )

    keys = changed_keys("customer_id", customer_feed, None, order_feed).collect()

    assert keys.get_column("customer_id").to_list() == ["C1", "C2", "C3"]
    assert changed_keys("customer_id", None).collect().height == 0


def order_feed(*rows: tuple[str, str | None, int, str, str]) -> pl.LazyFrame:
    """Orders' change rows: (order_id, customer_id, day of March 2026, status, change type)."""
    return pl.LazyFrame(
        [(o, c, date(2026, 3, day), s, kind) for o, c, day, s, kind in rows],
        schema={"order_id": pl.String, "customer_id": pl.String, "order_date": pl.Date,
                "status": pl.String, "_change_type": pl.String},
        orient="row",
    )  # fmt: skip


def test_first_order_moves_names_only_customers_whose_first_order_date_can_move() -> None:
    # Published first order dates: C1..C6 on March 10th, C7 with no earning order yet.
    published = pl.LazyFrame(
        {"customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
         "first_order_date": [date(2026, 3, 10)] * 6 + [None]},
        schema={"customer_id": pl.String, "first_order_date": pl.Date},
    )  # fmt: skip
    changes = order_feed(
        # C1: a new order on a later day: its first day stays the 10th.
        ("N1", "C1", 20, "placed", "insert"),
        # C2: a backfilled order on the 5th: a new first day.
        ("N2", "C2", 5, "placed", "insert"),
        # C3: its first order (the 10th) shipped: a late status update, same day, still earning.
        ("F3", "C3", 10, "placed", "update_preimage"),
        ("F3", "C3", 10, "shipped", "update_postimage"),
        # C4: its first order cancelled: the 10th may no longer be its first day.
        ("F4", "C4", 10, "placed", "update_preimage"),
        ("F4", "C4", 10, "cancelled", "update_postimage"),
        # C5: a cancelled order on the 1st: cancelled orders do not count.
        ("N5", "C5", 1, "cancelled", "insert"),
        # C6: an order moved to the 2nd and back to the 12th within the range: no net change.
        ("L6", "C6", 12, "placed", "update_preimage"),
        ("L6", "C6", 2, "placed", "update_postimage"),
        ("L6", "C6", 2, "placed", "update_preimage"),
        ("L6", "C6", 12, "paid", "update_postimage"),
        # C7: its first earning order ever.
        ("N7", "C7", 25, "paid", "insert"),
        # C8 has no published row (not a customer in silver): never named.
        ("N8", "C8", 1, "placed", "insert"),
        ("N9", None, 1, "placed", "insert"),
    )

    moved = first_order_moves(changes, published).collect()

    assert sorted(moved.get_column("customer_id").to_list()) == ["C2", "C4", "C7"]


def test_dim_customer_slice_holds_only_the_changed_customers_versions() -> None:
    first = build_dim_customer(customers(customer("C1"), customer("C2")), orders(), None)
    now = customers(customer("C1", loyalty_tier="gold", updated_at=TIER_CHANGE), customer("C2"))
    placed = orders(
        ("O1", "C1", "placed", date(2026, 10, 6)), ("O2", "C2", "paid", date(2026, 3, 1))
    )

    rows = dim_customer_slice(["C1"], now, placed, first).collect()

    assert rows.schema == gold.DIM_CUSTOMER.polars_schema
    assert rows.select(
        "customer_key", "customer_id", "version", "valid_from", "valid_to", "is_current",
        "loyalty_tier", "first_order_date",
    ).rows() == [
        (expected_key("C1", "1"), "C1", 1, REGISTERED, TIER_CHANGE, False, "bronze",
         date(2026, 10, 6)),
        (expected_key("C1", "2"), "C1", 2, TIER_CHANGE, OPEN_END, True, "gold",
         date(2026, 10, 6)),
    ]  # fmt: skip


def test_dim_customer_slice_of_a_customer_gone_from_silver_keeps_its_versions() -> None:
    first = build_dim_customer(customers(customer("C1"), customer("C9")), orders(), None)

    rows = dim_customer_slice(["C9", "<unknown>"], customers(customer("C1")), orders(), first)
    rows = rows.collect()

    assert rows.select("customer_key", "customer_id", "version", "is_current").rows() == [
        (expected_key("C9", "1"), "C9", 1, True),
    ]


def product(product_id: str, price: str) -> dict[str, object]:
    return {
        "product_id": product_id, "sku": f"SKU-{product_id}", "name": product_id,
        "category": "home", "brand": "Acme", "unit_price": Decimal(price), "currency": "EUR",
        "active": True, "updated_at": REGISTERED,
    }  # fmt: skip


def test_dim_product_slice_recomputes_changed_products_and_drops_removed_ones() -> None:
    products = pl.LazyFrame(
        [product("P1", "2.50"), product("P2", "9.99")], schema=silver.PRODUCTS.polars_schema
    )

    rows = dim_product_slice(["P2", "P7"], products).collect()  # P7 left silver

    assert rows.schema == gold.DIM_PRODUCT.polars_schema
    assert rows.select("product_key", "product_id", "unit_price").rows() == [
        (expected_key("P2"), "P2", Decimal("9.99")),
    ]


def test_dim_partner_slice_never_carries_the_unknown_partner() -> None:
    partners = pl.LazyFrame(
        [
            {
                "partner_id": "PTN01",
                "name": "Harbour",
                "country": "GB",
                "commission_rate": Decimal("0.1200"),
                "contact_email": None,
                "onboarded_at": date(2024, 3, 1),
                "ingested_at": REGISTERED,
            },
        ],
        schema=silver.PARTNERS.polars_schema,
    )

    rows = dim_partner_slice(["PTN01", "<unknown>"], partners).collect()

    assert rows.select("partner_key", "partner_id").rows() == [(expected_key("PTN01"), "PTN01")]


SPAN = DateSpan(date(2026, 3, 1), date(2026, 3, 10))


def test_dim_date_slice_adds_the_entering_days_and_deletes_the_leaving_ones() -> None:
    widened = dim_date_slice(SPAN, DateSpan(date(2026, 3, 1), date(2026, 3, 12)))
    assert widened.date_keys == [20260311, 20260312]
    assert widened.rows.collect().select("date_key", "day_name").rows() == [
        (20260311, "Wednesday"),
        (20260312, "Thursday"),
    ]

    # The first two days left, one day was added at the end.
    moved = dim_date_slice(SPAN, DateSpan(date(2026, 3, 3), date(2026, 3, 11)))
    assert moved.date_keys == [20260301, 20260302, 20260311]
    assert moved.rows.collect().get_column("date_key").to_list() == [20260311]

    same = dim_date_slice(SPAN, SPAN)
    assert same.date_keys == []
    assert same.rows.collect().schema == gold.DIM_DATE.polars_schema
    assert same.rows.collect().height == 0
