from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.gold.customer_days import key_ids, state_history
from retail_platform.transforms.gold.dimensions import build_dim_date
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.marts_incremental import (
    ambiguous_orders,
    counted_lines,
    kpi_affected_dates,
    kpi_daily_for_dates,
    touched_customers,
)
from retail_platform_tests.transforms.gold.marts_history import (
    CUSTOMERS,
    customer_state,
    line,
    lines_table,
    payments_table,
)

D = Decimal
OCTOBER = build_dim_date(date(2026, 10, 1), date(2026, 10, 31))


def _backfilled_customer():
    """C1 first ordered on Oct 31 (published); then an order of Oct 1 arrives (v1, under C1's
    second version) and is corrected (v2): Oct 1 becomes C1's first day."""
    facts, payments = lines_table(), payments_table()
    facts.upsert(line(1, "O1", 20261031, 11, "paid", "5.00"), version=0)
    published = build_kpi_daily(facts.frame(), payments.frame(), CUSTOMERS, OCTOBER).collect()
    facts.upsert(line(2, "O2", 20261001, 12, "paid", "5.00"), version=1)
    facts.upsert(line(2, "O2", 20261001, 12, "paid", "7.25"), version=2)
    return facts, payments, published


# The state after v2, by hand: C1 has one counted line on Oct 1 and one on Oct 31.
BACKFILLED = customer_state(("C1", 20261001, 1, "7.25"), ("C1", 20261031, 1, "5.00"))


def test_a_backfilled_earlier_order_moves_the_first_day_and_both_days_are_affected() -> None:
    facts, payments, published = _backfilled_customer()

    touched = touched_customers(facts.changes_since(0), BACKFILLED, CUSTOMERS).collect()
    dates = kpi_affected_dates(
        facts.changes_since(0),
        payments.changes_since(0),
        facts.frame(),
        payments.frame(),
        CUSTOMERS,
        OCTOBER,
        published.lazy(),
        BACKFILLED,
    ).collect()

    # Line 2 did not exist before v1: its v2 pre-image (Oct 1) is not the old state.
    assert touched.rows() == [("C1", 20261031, 20261001)]
    # Oct 1 changed, Oct 2-30 enter the KPI range (it was Oct 31 alone), Oct 31 only because
    # C1 is no longer new there.
    assert dates.get_column("date_key").to_list() == list(range(20261001, 20261032))


def test_kpi_rows_of_the_old_first_day_count_the_customer_as_returning() -> None:
    facts, payments, published = _backfilled_customer()
    changes = facts.changes_since(0)
    found = state_history(changes, BACKFILLED, key_ids(CUSTOMERS, None))
    history = tuple(frame.lazy() for frame in pl.collect_all(found))
    pairs = ambiguous_orders(changes).collect()
    span = pl.LazyFrame({"first": [20261001], "last": [20261031]})

    rows = kpi_daily_for_dates(
        [20261001, 20261015, 20261031, 20261101],
        changes,
        payments.changes_since(0),
        counted_lines(facts.frame(), pairs),
        payments.frame(),
        published.lazy(),
        history,
        OCTOBER,
        span,
    ).collect()

    assert rows.schema == gold.KPI_DAILY.polars_schema
    # O2 is new (inserted, then corrected): the one order whose count needed its facts.
    assert pairs.rows() == [("O2", 20261001)]
    # Nov 1 is outside the KPI range (and dim_date): no row. Oct 15 is a zero day.
    assert rows.rows() == [
        (20261001, date(2026, 10, 1), D("7.25"), 1, D("7.25"), 1, 0, D("0"), D("0")),
        (20261015, date(2026, 10, 15), D("0.00"), 0, D("0.00"), 0, 0, D("0"), D("0")),
        (20261031, date(2026, 10, 31), D("5.00"), 1, D("5.00"), 0, 1, D("0"), D("0")),
    ]


def test_a_pre_image_of_a_version_gone_from_dim_customer_is_named_by_its_change_feed() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261005, 99, "paid", "5.00"), version=0)  # C1's version 99
    facts.upsert(line(2, "O2", 20261009, 11, "paid", "5.00"), version=0)
    # v1: version 99 is gone from dim_customer; its order now points at the unknown customer.
    facts.upsert(line(1, "O1", 20261005, -1, "paid", "5.00"), version=1)
    gone = pl.LazyFrame({"customer_key": [99], "customer_id": ["C1"]})
    state = customer_state(
        ("C1", 20261009, 1, "5.00")
    )  # the unknown customer's order counts for nobody

    without = touched_customers(facts.changes_since(0), state, CUSTOMERS).collect()
    with_feed = touched_customers(
        facts.changes_since(0), state, CUSTOMERS, customer_changes=gone
    ).collect()

    assert without.height == 0
    # C1 was new on Oct 5 and is now new on Oct 9 (its other order): both days are affected.
    assert with_feed.rows() == [("C1", 20261005, 20261009)]
