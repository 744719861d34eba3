"""Property: replacing the affected slice of the published kpi_daily / fact_customer_retention
with the incremental rows, after any sequence of fact commits, gives the full build's table.

Histories: order lines inserted, updated (date, customer version, status, amount), deleted, and
whole days overwritten (as gold writes a fact slice), across the edges of months and of the
KPI range; payments added and removed; the unknown customer; marts refreshed after arbitrary
commits, each reading the change feed since the version it consumed last, with the customer
state advanced by its own feed ranges (at other commits than the marts) and checked against
its full build.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.transforms.gold.customer_days import (
    advance_state,
    build_customer_days,
    key_ids,
    state_deltas,
    state_history,
    stored_state,
    unresolved_keys,
)
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.marts_incremental import (
    active_range,
    ambiguous_orders,
    counted_lines,
    kpi_affected_dates,
    kpi_daily_for_dates,
)
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform.transforms.gold.retention_incremental import (
    last_month_of,
    retention_affected_cohorts,
    retention_affected_months,
    retention_for_cohorts,
)
from retail_platform_tests.transforms.gold.marts_history import (
    CALENDAR,
    CUSTOMERS,
    Table,
    apply_commit,
    commits,
    lines_table,
    payments_table,
)


def _published(
    previous: pl.DataFrame, column: str, values: list[Any], rows: pl.DataFrame
) -> pl.DataFrame:
    """What an overwrite of ``column IN values`` with ``rows`` leaves in the table."""
    assert rows.get_column(column).is_in(values).all()
    kept = previous.filter(pl.col(column).is_in(values).not_())
    return pl.concat([kept, rows])


def _advance(state: pl.DataFrame, facts: Table, since: int) -> pl.DataFrame:
    """The stored state after the facts' changes since ``since``: the deltas appended (as the
    asset does), once ``advance_state`` has accepted them."""
    changes, ids = facts.changes_since(since), key_ids(CUSTOMERS, None)
    assert unresolved_keys(changes, ids).collect().is_empty()
    deltas = state_deltas(changes, ids).collect()
    advance_state(stored_state(state.lazy()).collect(), deltas)
    return pl.concat([state, deltas])


def _refresh(
    facts: Table,
    payments: Table,
    kpi: pl.DataFrame,
    retention: pl.DataFrame,
    since: int,
    state: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    changed_lines = facts.changes_since(since)
    changed_payments = payments.changes_since(since)
    current, paid, now = facts.frame(), payments.frame(), state.lazy()
    history = tuple(
        frame.lazy()
        for frame in pl.collect_all(state_history(changed_lines, now, key_ids(CUSTOMERS, None)))
    )
    dates = (
        kpi_affected_dates(
            changed_lines, changed_payments, current, paid, CUSTOMERS, CALENDAR, kpi.lazy(), now
        )
        .collect()
        .get_column("date_key")
        .to_list()
    )
    span = active_range(current, paid).collect().lazy()
    counted = counted_lines(current, ambiguous_orders(changed_lines).collect())
    kpi_rows = kpi_daily_for_dates(
        dates,
        changed_lines,
        changed_payments,
        counted,
        paid,
        kpi.lazy(),
        history,
        CALENDAR,
        span,
    ).collect()
    cohorts, months = pl.collect_all(
        [
            retention_affected_cohorts(changed_lines, now, CUSTOMERS, retention.lazy()),
            retention_affected_months(changed_lines, now, CUSTOMERS),
        ]
    )
    months_list = months.get_column("activity_month").to_list()
    assert months_list == sorted(months_list)  # the guard's months: still worked out
    retention_rows = retention_for_cohorts(
        cohorts, retention.lazy(), history, last_month_of(now)
    ).collect()
    cohort_values = cohorts.get_column("cohort_month").to_list()
    return (
        _published(kpi, "date_key", dates, kpi_rows),
        _published(retention, "cohort_month", cohort_values, retention_rows),
    )


def _full(facts: Table, payments: Table) -> tuple[pl.DataFrame, pl.DataFrame]:
    current = facts.frame()
    kpi = build_kpi_daily(current, payments.frame(), CUSTOMERS, CALENDAR).collect()
    return kpi, build_fact_customer_retention(current, CUSTOMERS).collect()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    initial=st.lists(commits, max_size=4),
    later=st.lists(st.tuples(commits, st.booleans(), st.booleans()), min_size=1, max_size=6),
)
def test_incremental_marts_equal_the_full_build(
    initial: list[tuple[Any, ...]], later: list[tuple[tuple[Any, ...], bool, bool]]
) -> None:
    facts, payments = lines_table(), payments_table()
    version = 0
    for change in initial:
        version += 1
        apply_commit(facts, payments, change, version)
    kpi, retention = _full(facts, payments)
    state = build_customer_days(facts.frame(), CUSTOMERS).collect()
    consumed = state_at = version
    for index, (change, refresh_after, advance_after) in enumerate(later):
        version += 1
        apply_commit(facts, payments, change, version)
        refresh = refresh_after or index == len(later) - 1
        if advance_after or refresh:  # the state runs ahead of the marts' consumed version
            state, state_at = _advance(state, facts, state_at), version
            full_state = build_customer_days(facts.frame(), CUSTOMERS).collect()
            summed = stored_state(state.lazy()).sort("customer_id", "date_key").collect()
            assert_frame_equal(summed, full_state)
        if refresh:
            kpi, retention = _refresh(facts, payments, kpi, retention, consumed, state)
            consumed = version
            full_kpi, full_retention = _full(facts, payments)
            assert_frame_equal(kpi.sort("date_key"), full_kpi)
            assert_frame_equal(retention.sort("cohort_month", "activity_month"), full_retention)
