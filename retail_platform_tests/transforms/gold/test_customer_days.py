"""The marts' customer state, worked by hand: counted order lines per customer and day, advanced
by the order facts' change feed (CUSTOMERS: keys 11, 12 are C1's versions, 21, 22 C2's, 31 C3's,
-1 the unknown customer)."""

from decimal import Decimal as D

import polars as pl
import pytest

from retail_platform.transforms.gold.customer_days import (
    StateMismatchError,
    advance_state,
    build_customer_days,
    first_days_before_and_now,
    key_ids,
    state_deltas,
    unresolved_keys,
)
from retail_platform_tests.transforms.gold.marts_history import (
    CUSTOMERS,
    customer_state,
    line,
    lines_table,
)

IDS = key_ids(CUSTOMERS, None)


def test_the_full_build_counts_lines_per_customer_and_day_across_versions() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "5.00"), version=0)  # C1 v1
    facts.upsert(line(2, "O1", 20261001, 12, "shipped", "2.00"), version=0)  # C1 v2, same day
    facts.upsert(line(3, "O2", 20261002, 21, "cancelled", "0.00"), version=0)  # not counted
    facts.upsert(line(4, "O3", 20261003, -1, "paid", "9.00"), version=0)  # nobody
    facts.upsert(line(5, "O4", 20261004, 21, "returned", "0.00"), version=0)  # placed: counts

    state = build_customer_days(facts.frame(), CUSTOMERS).collect()

    assert state.rows() == [("C1", 20261001, 2, D("7.00")), ("C2", 20261004, 1, D("0.00"))]


def test_a_cancelled_first_order_moves_the_first_day_later_without_reading_facts() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "5.00"), version=0)
    facts.upsert(line(2, "O2", 20261005, 11, "paid", "3.00"), version=0)
    facts.upsert(line(3, "O2", 20261005, 12, "paid", "1.00"), version=0)
    before = customer_state(("C1", 20261001, 1, "5.00"), ("C1", 20261005, 2, "4.00"))
    facts.upsert(line(1, "O1", 20261001, 11, "cancelled", "0.00"), version=1)

    changes = facts.changes_since(0)
    deltas = state_deltas(changes, IDS).collect()
    after = advance_state(before.collect(), deltas)
    firsts = first_days_before_and_now(changes, after.lazy(), IDS).collect()

    assert deltas.rows() == [("C1", 20261001, -1, D("-5.00"))]
    assert after.rows() == [("C1", 20261005, 2, D("4.00"))]  # Oct 1 lost its only counted line
    assert firsts.rows() == [("C1", 20261001, 20261005)]


def test_a_new_customer_gets_their_first_day() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "5.00"), version=0)
    before = customer_state(("C1", 20261001, 1, "5.00"))
    facts.upsert(line(2, "O2", 20261003, 22, "paid", "4.00"), version=1)  # C2's first order

    changes = facts.changes_since(0)
    deltas = state_deltas(changes, IDS).collect()
    after = advance_state(before.collect(), deltas)
    firsts = first_days_before_and_now(changes, after.lazy(), IDS).collect()

    # only the named customer's rows are returned
    assert after.rows() == [("C2", 20261003, 1, D("4.00"))]
    assert firsts.rows() == [("C2", None, 20261003)]


def test_a_line_moved_to_another_version_of_the_customer_changes_no_count() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261002, 11, "paid", "5.00"), version=0)
    facts.upsert(line(1, "O1", 20261002, 12, "paid", "5.00"), version=1)  # now C1's version 2
    state = customer_state(("C1", 20261002, 1, "5.00"))

    changes = facts.changes_since(0)
    deltas = state_deltas(changes, IDS).collect()
    firsts = first_days_before_and_now(changes, state, IDS).collect()

    assert deltas.height == 0  # nothing to write
    assert firsts.rows() == [("C1", 20261002, 20261002)]  # touched, first day unmoved


def test_a_state_behind_its_changes_is_refused() -> None:
    deltas = pl.DataFrame(
        [("C1", 20261001, -1, D("-5.00"))], schema=customer_state().collect_schema(), orient="row"
    )

    with pytest.raises(StateMismatchError, match="customer C1 would have -1 lines on 20261001"):
        advance_state(customer_state(("C1", 20261002, 1, "5.00")).collect(), deltas)


def test_a_key_no_dimension_row_names_is_unresolved() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261002, 99, "paid", "5.00"), version=1)  # version 99: unknown
    facts.upsert(line(2, "O2", 20261002, -1, "paid", "5.00"), version=1)  # the unknown customer

    found = unresolved_keys(facts.changes_since(0), IDS).collect()

    assert found.get_column("customer_key").to_list() == [99]


def test_a_corrected_amount_changes_the_day_s_revenue_not_its_lines() -> None:
    facts = lines_table()
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "5.00"), version=0)
    facts.upsert(line(2, "O1", 20261001, 11, "paid", "3.00"), version=0)
    before = customer_state(("C1", 20261001, 2, "8.00"))
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "7.25"), version=1)  # 5.00 -> 7.25

    deltas = state_deltas(facts.changes_since(0), IDS).collect()
    after = advance_state(before.collect(), deltas)

    assert deltas.rows() == [("C1", 20261001, 0, D("2.25"))]  # kept: the revenue moved
    assert after.rows() == [("C1", 20261001, 2, D("10.25"))]
