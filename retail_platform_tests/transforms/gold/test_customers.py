"""dim_customer as SCD type 2: hand-built silver states, expected versions worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.customers import (
    OPEN_END,
    build_dim_customer,
    customer_keys_at,
)
from retail_platform_tests.transforms.gold.keys_for_tests import expected_key

REGISTERED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
FIRST_UPDATE = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
TIER_CHANGE = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
HISTORY = ("customer_id", "version", "valid_from", "valid_to", "is_current", "loyalty_tier")


def customer(customer_id: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "customer_id": customer_id,
        "email_token": f"token-{customer_id}",
        "phone_token": None,
        "birth_year": 1990,
        "city": "Berlin",
        "postcode_prefix": "10",
        "country": "DE",
        "marketing_consent": True,
        "loyalty_tier": "bronze",
        "created_at": REGISTERED,
        "updated_at": FIRST_UPDATE,
        "is_deleted": False,
    }
    return {**base, **overrides}


def customers(*rows: dict[str, Any]) -> pl.LazyFrame:
    return pl.LazyFrame(list(rows), schema=silver.CUSTOMERS.polars_schema)


def orders(*rows: tuple[str, str, str, date]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "status": status,
                "currency": "EUR",
                "channel": "web",
                "created_at": REGISTERED,
                "updated_at": REGISTERED,
                "order_date": order_date,
                "line_count": 1,
                "order_total": Decimal("10.00"),
            }
            for order_id, customer_id, status, order_date in rows
        ],
        schema=silver.ORDERS.polars_schema,
    )


NO_ORDERS = orders()


def build(state: pl.LazyFrame, previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """The dimension without its unknown member (tested on its own below)."""
    before = previous.lazy() if previous is not None else None
    dim = build_dim_customer(state, NO_ORDERS, before).collect()
    return dim.filter(pl.col("customer_key") != -1)


def test_first_build_gives_each_customer_version_1_from_registration() -> None:
    dim = build(customers(customer("C1"), customer("C2", loyalty_tier="gold")))

    assert dim.schema == gold.DIM_CUSTOMER.polars_schema
    assert dim.select("customer_key", *HISTORY).rows() == [
        (expected_key("C1", "1"), "C1", 1, REGISTERED, OPEN_END, True, "bronze"),
        (expected_key("C2", "1"), "C2", 1, REGISTERED, OPEN_END, True, "gold"),
    ]


def test_a_tier_change_closes_the_version_and_opens_the_next_at_the_change_time() -> None:
    first = build(customers(customer("C1"), customer("C2")))

    second = build(
        customers(
            customer("C1", loyalty_tier="silver", updated_at=TIER_CHANGE),
            customer("C2", city="Hamburg", updated_at=TIER_CHANGE),  # type 1 change only
            customer("C3", created_at=TIER_CHANGE, updated_at=TIER_CHANGE),
        ),
        first,
    )

    assert second.select("customer_key", *HISTORY, "city").rows() == [
        (expected_key("C1", "1"), "C1", 1, REGISTERED, TIER_CHANGE, False, "bronze", "Berlin"),
        (expected_key("C1", "2"), "C1", 2, TIER_CHANGE, OPEN_END, True, "silver", "Berlin"),
        # Only the city changed: no new version, the value is overwritten in place.
        (expected_key("C2", "1"), "C2", 1, REGISTERED, OPEN_END, True, "bronze", "Hamburg"),
        (expected_key("C3", "1"), "C3", 1, TIER_CHANGE, OPEN_END, True, "bronze", "Berlin"),
    ]


def test_a_country_change_opens_a_version_and_type_1_values_show_on_every_version() -> None:
    first = build(customers(customer("C1")))
    moved = customer("C1", country="AT", email_token="token-new", updated_at=TIER_CHANGE)

    second = build(customers(moved), first)

    assert second.select("version", "country", "email_token", "is_current").rows() == [
        (1, "DE", "token-new", False),
        (2, "AT", "token-new", True),
    ]


def test_rebuilding_from_the_same_silver_changes_nothing() -> None:
    first = build(customers(customer("C1")))
    second = build(customers(customer("C1", loyalty_tier="gold", updated_at=TIER_CHANGE)), first)

    third = build(customers(customer("C1", loyalty_tier="gold", updated_at=TIER_CHANGE)), second)

    assert third.equals(second)


def test_a_change_not_later_than_the_version_start_corrects_it_in_place() -> None:
    first = build(customers(customer("C1")))
    # Stamped at the registration instant itself: it cannot be placed after version 1 started.
    fixed = customer("C1", loyalty_tier="gold", updated_at=REGISTERED)

    second = build(customers(fixed), first)

    assert second.select(*HISTORY).rows() == [
        ("C1", 1, REGISTERED, OPEN_END, True, "gold"),
    ]


def test_a_customer_gone_from_silver_keeps_its_versions() -> None:
    first = build(customers(customer("C1"), customer("C9")))

    second = build(customers(customer("C1")), first)

    assert second.select("customer_id", "version", "is_current").rows() == [
        ("C1", 1, True),
        ("C9", 1, True),
    ]


def test_a_rebuild_re_keys_every_version_even_of_customers_gone_from_silver() -> None:
    # A dimension keyed under an older rule (here: made-up keys 11 and 99) is rebuilt with
    # the current rule's keys, departed customers included: no table mixes two rules.
    first = build(customers(customer("C1"), customer("C9")))
    old_rule = first.with_columns(customer_key=pl.Series([11, 99], dtype=pl.Int64))

    rebuilt = build(customers(customer("C1")), old_rule)

    assert rebuilt.select("customer_id", "customer_key").rows() == [
        ("C1", expected_key("C1", "1")),
        ("C9", expected_key("C9", "1")),
    ]


def test_first_order_date_ignores_cancelled_orders_but_counts_returned_ones() -> None:
    silver_orders = orders(
        ("O1", "C1", "cancelled", date(2026, 10, 1)),
        ("O2", "C1", "returned", date(2026, 10, 2)),
        ("O3", "C1", "paid", date(2026, 10, 3)),
        ("O4", "C2", "cancelled", date(2026, 10, 1)),
    )

    dim = build_dim_customer(
        customers(customer("C1"), customer("C2"), customer("C3")), silver_orders, None
    ).collect()
    dim = dim.filter(pl.col("customer_key") != -1)

    assert dim.select("customer_id", "first_order_date").rows() == [
        ("C1", date(2026, 10, 2)),  # returned still counts: it was placed
        ("C2", None),  # only a cancelled order
        ("C3", None),  # never ordered
    ]


def test_facts_get_the_customer_version_valid_when_they_happened() -> None:
    first = build(customers(customer("C1")))
    dim = build(customers(customer("C1", loyalty_tier="gold", updated_at=TIER_CHANGE)), first)
    facts = pl.LazyFrame(
        {
            "fact": ["before registration", "just before", "at the change", "unknown", "no order"],
            "customer_id": ["C1", "C1", "C1", "C404", None],
            "at": [
                datetime(2025, 12, 31, tzinfo=UTC),
                datetime(2026, 10, 5, 11, 59, tzinfo=UTC),
                TIER_CHANGE,
                TIER_CHANGE,
                TIER_CHANGE,
            ],
        }
    )

    resolved = customer_keys_at(facts, dim.lazy(), "at").sort("fact").collect()

    assert resolved.select("fact", "customer_key").rows() == [
        ("at the change", expected_key("C1", "2")),
        ("before registration", expected_key("C1", "1")),
        ("just before", expected_key("C1", "1")),
        ("no order", None),  # the line's order is missing: left for the foreign-key check
        ("unknown", -1),  # C404 has no version: the unknown customer
    ]


def test_the_unknown_customer_is_one_row_rebuilt_each_time_never_carried_as_history() -> None:
    first = build_dim_customer(customers(customer("C1")), NO_ORDERS, None).collect()
    second = build_dim_customer(customers(customer("C2")), NO_ORDERS, first.lazy()).collect()

    long_ago = datetime(1900, 1, 1, tzinfo=UTC)
    for dim in (first, second):
        unknown = dim.filter(pl.col("customer_key") == -1)
        assert unknown.select(*HISTORY, "is_deleted", "first_order_date").rows() == [
            ("<unknown>", 1, long_ago, OPEN_END, True, None, False, None)
        ]
    assert second.get_column("customer_id").to_list() == ["C1", "C2", "<unknown>"]
