"""Property: publishing dimension slices after any sequence of silver changes equals a full build.

Silver states are generated step by step (customers changing tier, country, city, leaving and
coming back, corrections stamped at registration; orders moving between customers, cancelled,
re-dated; products changing and leaving; fact dates moving past either end of the calendar).
Gold runs after arbitrary steps and reads a change feed made, as Delta's is, of every step's
changed rows since its last run (pre-images and post-images). After each run the published
dimension (the previous one with the slice's keys replaced by the slice's rows) must equal the
full build from the same silver (and, for dim_customer, the same previous history).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.contracts import silver
from retail_platform.transforms.gold.customers import build_dim_customer
from retail_platform.transforms.gold.dimension_slices import (
    DateSpan,
    changed_keys,
    dates_span,
    dim_customer_slice,
    dim_date_slice,
    dim_product_slice,
    first_order_moves,
)
from retail_platform.transforms.gold.dimensions import build_dim_date_spanning, build_dim_product
from retail_platform_tests.transforms.gold.test_customers import REGISTERED, customer

PROPERTY = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
DAY0 = date(2026, 3, 1)

customer_states = st.dictionaries(
    st.sampled_from(["C1", "C2", "C3"]),
    st.fixed_dictionaries(
        {
            "loyalty_tier": st.sampled_from(["bronze", "gold"]),
            "country": st.sampled_from(["DE", "AT"]),
            "city": st.sampled_from(["Berlin", "Wien"]),
            "updated_days": st.integers(0, 3),  # 0: stamped at registration (a correction)
        }
    ),
)
order_states = st.dictionaries(
    st.sampled_from(["O1", "O2", "O3"]),
    st.tuples(
        st.sampled_from(["C1", "C2", "C4"]),  # C4 is never a customer
        st.sampled_from(["placed", "cancelled"]),
        st.integers(0, 4),
    ),
)
runs = st.booleans()  # whether gold runs after a step


def _diff(before: pl.DataFrame, after: pl.DataFrame, commit: int = 0) -> pl.DataFrame:
    """A change feed between two states, as commit `commit`: rows that left as pre-images,
    rows that came as post-images (Delta marks them update_/delete/insert; only 'before or
    after' matters here)."""
    gone = before.join(after, on=before.columns, how="anti", nulls_equal=True)
    came = after.join(before, on=after.columns, how="anti", nulls_equal=True)
    return pl.concat(
        [
            gone.with_columns(_change_type=pl.lit("update_preimage")),
            came.with_columns(_change_type=pl.lit("update_postimage")),
        ]
    ).with_columns(_commit_version=pl.lit(commit, pl.Int64))


def _replace(published: pl.DataFrame, column: str, keys: list[Any], rows: pl.DataFrame):
    return pl.concat([published.filter(~pl.col(column).is_in(keys)), rows])


def _sorted(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    return frame.sort(key)


def _customers(state: dict[str, dict[str, Any]]) -> pl.DataFrame:
    rows = [
        customer(
            cid,
            loyalty_tier=v["loyalty_tier"],
            country=v["country"],
            city=v["city"],
            updated_at=REGISTERED + timedelta(days=v["updated_days"]),
        )
        for cid, v in sorted(state.items())
    ]
    return pl.DataFrame(rows, schema=silver.CUSTOMERS.polars_schema)


def _orders(state: dict[str, tuple[str, str, int]]) -> pl.DataFrame:
    rows = [
        {"order_id": oid, "customer_id": cid, "status": status, "currency": "EUR",
         "channel": "web", "created_at": REGISTERED, "updated_at": REGISTERED,
         "order_date": DAY0 + timedelta(days=day), "line_count": 1,
         "order_total": Decimal("10.00")}
        for oid, (cid, status, day) in sorted(state.items())
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=silver.ORDERS.polars_schema)


@PROPERTY
@given(
    # None: that table is left as it was (then only the other one's changes count).
    st.lists(
        st.tuples(st.none() | customer_states, st.none() | order_states, runs),
        min_size=1,
        max_size=5,
    ),
)
def test_dim_customer_slices_equal_the_full_scd2_build(steps: list) -> None:
    customers, orders = _customers({}), _orders({})
    published = build_dim_customer(customers.lazy(), orders.lazy(), None).collect()
    feeds: list[tuple[pl.DataFrame, pl.DataFrame]] = []  # (customers, orders) change feeds
    customer_state: dict[str, Any] = {}
    order_state: dict[str, Any] = {}
    for number, (customer_step, order_step, gold_runs) in enumerate(steps):
        customer_state = customer_state if customer_step is None else customer_step
        order_state = order_state if order_step is None else order_step
        new_customers, new_orders = _customers(customer_state), _orders(order_state)
        feeds.append((_diff(customers, new_customers), _diff(orders, new_orders)))
        customers, orders = new_customers, new_orders
        if not gold_runs and number < len(steps) - 1:
            continue
        moved = first_order_moves(pl.concat([f for _, f in feeds]).lazy(), published.lazy())
        ids = (
            changed_keys("customer_id", *(f.lazy() for f, _ in feeds), moved)
            .collect()["customer_id"]
            .to_list()
        )
        feeds = []
        rows = dim_customer_slice(ids, customers.lazy(), orders.lazy(), published.lazy())
        incremental = _replace(published, "customer_id", ids, rows.collect())
        full = build_dim_customer(customers.lazy(), orders.lazy(), published.lazy()).collect()

        assert_frame_equal(_sorted(incremental, "customer_key"), _sorted(full, "customer_key"))
        published = incremental


product_states = st.dictionaries(
    st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["1.00", "2.50", "9.99"])
)


def _products(state: dict[str, str]) -> pl.DataFrame:
    rows = [
        {"product_id": pid, "sku": f"SKU-{pid}", "name": pid, "category": None, "brand": None,
         "unit_price": Decimal(price), "currency": "EUR", "active": True,
         "updated_at": REGISTERED}
        for pid, price in sorted(state.items())
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=silver.PRODUCTS.polars_schema)


@PROPERTY
@given(st.lists(st.tuples(product_states, runs), min_size=1, max_size=5))
def test_dim_product_slices_equal_the_full_build(steps: list) -> None:
    products = _products({})
    published = build_dim_product(products.lazy()).collect()
    feeds: list[pl.DataFrame] = []
    for number, (state, gold_runs) in enumerate(steps):
        new_products = _products(state)
        feeds.append(_diff(products, new_products))
        products = new_products
        if not gold_runs and number < len(steps) - 1:
            continue
        ids = changed_keys("product_id", *(f.lazy() for f in feeds)).collect()
        feeds = []
        keys = ids["product_id"].to_list()
        rows = dim_product_slice(keys, products.lazy()).collect()
        incremental = _replace(published, "product_id", keys, rows)

        full = build_dim_product(products.lazy()).collect()
        assert_frame_equal(_sorted(incremental, "product_key"), _sorted(full, "product_key"))
        published = incremental


# Fact rows (id -> day offset) of two inputs; never all empty, as the dim_date asset requires.
fact_dates = st.dictionaries(st.sampled_from(["R1", "R2", "R3"]), st.integers(0, 8))


def _dated(state: dict[str, int], column: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": list(state), column: [DAY0 + timedelta(days=d) for d in state.values()]},
        schema={"id": pl.String, column: pl.Date},
    )


def _span(frame: pl.DataFrame) -> DateSpan:
    return DateSpan(frame["date"].min(), frame["date"].max())  # type: ignore[arg-type]


@PROPERTY
@given(
    st.lists(
        st.tuples(fact_dates, fact_dates, runs).filter(lambda s: bool(s[0] or s[1])),
        min_size=1,
        max_size=5,
    )
)
# An order placed before the calendar and deleted again before gold runs: it must not widen it.
@example([({"R1": 4, "R2": 0}, {}, False), ({"R1": 4}, {}, True)])
def test_dim_date_slices_equal_the_full_calendar(steps: list) -> None:
    orders, payments = _dated({"R1": 4}, "order_date"), _dated({}, "payment_date")
    published = build_dim_date_spanning(
        pl.concat([orders.select(date="order_date"), payments.select(date="payment_date")]).lazy()
    ).collect()
    for number, (order_state, payment_state, gold_runs) in enumerate(steps):
        orders = _dated(order_state, "order_date")
        payments = _dated(payment_state, "payment_date")
        if not gold_runs and number < len(steps) - 1:
            continue
        # As the asset reads it: the bounds of the inputs' dates now.
        current = _span(published)
        dates = pl.concat([orders.select(date="order_date"), payments.select(date="payment_date")])
        bounds = dates_span(dates.lazy()).collect()
        span = DateSpan(bounds["first"].item(), bounds["last"].item())
        day_slice = dim_date_slice(current, span)
        incremental = _replace(published, "date_key", day_slice.date_keys, day_slice.rows.collect())

        full = build_dim_date_spanning(dates.lazy()).collect()
        assert_frame_equal(_sorted(incremental, "date_key"), _sorted(full, "date_key"))
        published = incremental
