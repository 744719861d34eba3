from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.gold.customer_days import History, key_ids, state_history
from retail_platform.transforms.gold.marts_incremental import touched_customers
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform.transforms.gold.retention_incremental import (
    last_month_of,
    last_month_since,
    retention_affected_cohorts,
    retention_affected_months,
    retention_for_cohorts,
)
from retail_platform_tests.transforms.gold.marts_history import (
    CUSTOMERS,
    Table,
    customer_state,
    line,
    lines_table,
)

D = Decimal


def _history(facts: Table, state: pl.LazyFrame) -> History:
    """``state_history`` of every change of ``facts`` (``state``: the state after them)."""
    found = state_history(facts.changes_since(0), state, key_ids(CUSTOMERS, None))
    touched, before, now = (frame.lazy() for frame in pl.collect_all(found))
    return touched, before, now


def test_a_customer_changing_cohort_affects_both_and_a_new_month_extends_the_others() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20260915, 11, "paid", "10.00"), version=0)  # C1: September
    facts.upsert(line(2, "O2", 20261010, 21, "paid", "4.00"), version=0)  # C2: October
    published = build_fact_customer_retention(facts.frame(), CUSTOMERS).collect()
    # v1: C2's October order is cancelled and C2 orders in November (the new last month).
    facts.upsert(line(2, "O2", 20261010, 21, "cancelled", "0.00"), version=1)
    facts.upsert(line(3, "O3", 20261105, 22, "paid", "6.00"), version=1)
    state = customer_state(("C1", 20260915, 1, "10.00"), ("C2", 20261105, 1, "6.00"))

    cohorts = retention_affected_cohorts(
        facts.changes_since(0), state, CUSTOMERS, published.lazy()
    ).collect()
    months = retention_affected_months(facts.changes_since(0), state, CUSTOMERS).collect()
    rows = retention_for_cohorts(
        cohorts, published.lazy(), _history(facts, state), last_month_of(state)
    ).collect()

    sep, oct_, nov = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
    # October: C2's old cohort (one customer less), November: the new one (one more);
    # September only gains a month.
    assert cohorts.rows() == [(sep, False, 0), (oct_, True, -1), (nov, True, 1)]
    # The months of the changed rows and of every order of C2, who changed cohort.
    assert months.get_column("activity_month").to_list() == [oct_, nov]
    assert rows.schema == gold.FACT_CUSTOMER_RETENTION.polars_schema
    assert rows.rows() == [
        # September as published, plus November: nobody of C1's cohort ordered.
        (sep, sep, 0, 1, 1, D("1.0000"), D("10.00")),
        (sep, oct_, 1, 1, 0, D("0.0000"), D("0.00")),
        (sep, nov, 2, 1, 0, D("0.0000"), D("0.00")),
        # October has no customer left (no rows: the slice deletes it); November is C2's.
        (nov, nov, 0, 1, 1, D("1.0000"), D("6.00")),
    ]


def test_a_vanished_last_month_cuts_the_unaffected_cohorts() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20260915, 11, "paid", "10.00"), version=0)
    facts.upsert(line(2, "O2", 20261010, 31, "paid", "4.00"), version=0)  # C3: October
    published = build_fact_customer_retention(facts.frame(), CUSTOMERS).collect()
    facts.delete(2, version=1)  # October's only order is gone: September is the last month
    state = customer_state(("C1", 20260915, 1, "10.00"))

    cohorts = retention_affected_cohorts(
        facts.changes_since(0), state, CUSTOMERS, published.lazy()
    ).collect()
    rows = retention_for_cohorts(
        cohorts, published.lazy(), _history(facts, state), last_month_of(state)
    ).collect()

    sep = date(2026, 9, 1)
    # October loses C3, its only customer: its rows go (the slice deletes them).
    assert cohorts.rows() == [(sep, False, 0), (date(2026, 10, 1), True, -1)]
    assert rows.rows() == [(sep, sep, 0, 1, 1, D("1.0000"), D("10.00"))]


def test_changes_of_unknown_customer_orders_touch_no_customer_and_no_cohort() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261010, 11, "paid", "10.00"), version=0)
    published = build_fact_customer_retention(facts.frame(), CUSTOMERS).collect()
    facts.upsert(line(2, "O2", 20261012, -1, "paid", "3.00"), version=1)
    state = customer_state(("C1", 20261010, 1, "10.00"))

    touched = touched_customers(facts.changes_since(0), state, CUSTOMERS).collect()
    cohorts = retention_affected_cohorts(
        facts.changes_since(0), state, CUSTOMERS, published.lazy()
    ).collect()

    assert touched.height == 0
    assert cohorts.height == 0


def test_a_returning_customer_recomputes_only_the_month_of_the_change() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20260915, 11, "paid", "10.00"), version=0)  # C1: September
    facts.upsert(line(2, "O2", 20260928, 31, "paid", "3.00"), version=0)  # C3: September
    facts.upsert(line(3, "O3", 20261010, 21, "paid", "4.00"), version=0)  # C2: October
    published = build_fact_customer_retention(facts.frame(), CUSTOMERS).collect()
    facts.upsert(line(4, "O4", 20261020, 12, "paid", "6.00"), version=1)  # C1 comes back
    state = customer_state(
        ("C1", 20260915, 1, "10.00"),
        ("C1", 20261020, 1, "6.00"),
        ("C2", 20261010, 1, "4.00"),
        ("C3", 20260928, 1, "3.00"),
    )

    cohorts = retention_affected_cohorts(
        facts.changes_since(0), state, CUSTOMERS, published.lazy()
    ).collect()
    months = retention_affected_months(facts.changes_since(0), state, CUSTOMERS).collect()
    rows = retention_for_cohorts(
        cohorts, published.lazy(), _history(facts, state), last_month_of(state)
    ).collect()

    sep, oct_ = date(2026, 9, 1), date(2026, 10, 1)
    # Only C1's cohort, same size, and only October; the last month stays October.
    assert cohorts.rows() == [(sep, True, 0)]
    assert months.get_column("activity_month").to_list() == [oct_]
    assert rows.rows() == [
        (sep, sep, 0, 2, 2, D("1.0000"), D("13.00")),  # as published
        (sep, oct_, 1, 2, 1, D("0.5000"), D("6.00")),  # C1 of 2
    ]


def test_the_last_month_is_read_from_the_state_rows_since_a_month_only() -> None:
    # Stored rows: C2's only October line was appended and then taken away again (sums to 0).
    state = customer_state(
        ("C1", 20260915, 1, "10.00"),
        ("C2", 20261010, 1, "4.00"),
        ("C2", 20261010, -1, "-4.00"),
        ("C3", 20260920, 2, "3.00"),
    )

    since_october = last_month_since(state, date(2026, 10, 1)).collect()
    since_september = last_month_since(state, date(2026, 9, 1)).collect()

    assert since_october.item() is None  # nothing counted left in October: read the whole state
    assert since_september.item() == date(2026, 9, 1)
    assert last_month_of(state).collect().item() == date(2026, 9, 1)
