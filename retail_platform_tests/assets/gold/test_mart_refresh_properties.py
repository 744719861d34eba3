"""Property: kpi_daily and fact_customer_retention refreshed by `mart_refresh` over real Delta
tables (the facts' change data feed as deltalake writes it) equal a full build, always.

The facts change as gold writes them: date slices overwritten with a predicate, now and then
a whole rewrite (a full fact build: the marts then rebuild in full). Each mart run publishes
as the IO manager does (a slice overwrite or a full one, then the progress); no Dagster run,
no audit (tested with the IO manager elsewhere): this checks the planning and the slices.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal as D
from typing import Any
from unittest.mock import patch

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.assets.gold import customer_state
from retail_platform.assets.gold.customer_state import STATE_LAYER, state_table
from retail_platform.assets.gold.increment import FULL, INCREMENTAL, GoldRun, GoldSlice
from retail_platform.assets.gold.key_rule import record_key_rule
from retail_platform.assets.gold.mart_refresh import (
    refresh_fact_customer_retention,
    refresh_kpi_daily,
)
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.customer_days import stored_state
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform_tests.transforms.gold.marts_history import (
    CALENDAR,
    CUSTOMERS,
    Table,
    apply_commit,
    commits,
    line,
    lines_table,
    payments_table,
)

RUN = GoldRun("property-run")


def _write_facts(lake: LakeResource, table: str, rows: Table, version: int, whole: bool) -> None:
    """Publish the in-memory table's commit `version` as gold does: an overwrite of the dates
    it touched (before and after), or of the whole table."""
    current = rows.frame().collect()
    if whole:
        lake.replace_table("gold", table, current)
        return
    dates = {row["date_key"] for row in rows.changes if row["_commit_version"] == version}
    if dates:
        touched = current.filter(pl.col("date_key").is_in(sorted(dates)))
        lake.replace_values("gold", table, touched, "date_key", dates)


def _publish(lake: LakeResource, table: str, piece: GoldSlice) -> None:
    if piece.whole:
        lake.replace_table("gold", table, piece.rows)
        record_key_rule(lake, "gold", table)  # as commit_slice does after a whole write
    elif piece.values:
        lake.replace_values("gold", table, piece.rows, piece.column or "", piece.values)
    for progress in piece.progress(RUN.run_id):
        lake.record_progress("gold", table, progress)


def _first_lake(root: str, facts: Table, payments: Table, version: int) -> LakeResource:
    """A lake with the dimensions and the facts' first (whole) write at ``version``."""
    lake = LakeResource(root=root)
    lake.replace_table("gold", "dim_customer", CUSTOMERS.collect())
    lake.replace_table("gold", "dim_date", CALENDAR.collect())
    _write_facts(lake, "fact_order_lines", facts, version, whole=True)
    _write_facts(lake, "fact_payments", payments, version, whole=True)
    return lake


def _refresh_and_compare(lake: LakeResource, run: GoldRun = RUN) -> tuple[str, str]:
    kpi, retention = _refresh_and_compare_slices(lake, run)
    return kpi.mode, retention.mode


def _refresh_and_compare_slices(lake: LakeResource, run: GoldRun) -> tuple[GoldSlice, GoldSlice]:
    kpi = refresh_kpi_daily(lake, run)
    _publish(lake, "kpi_daily", kpi)
    retention = refresh_fact_customer_retention(lake, run)
    _publish(lake, "fact_customer_retention", retention)
    facts, customers = lake.scan("gold", "fact_order_lines"), lake.scan("gold", "dim_customer")
    payments, calendar = lake.scan("gold", "fact_payments"), lake.scan("gold", "dim_date")
    assert_frame_equal(
        lake.scan("gold", "kpi_daily").sort("date_key").collect(),
        build_kpi_daily(facts, payments, customers, calendar).collect(),
    )
    assert_frame_equal(
        lake.scan("gold", "fact_customer_retention")
        .sort("cohort_month", "activity_month")
        .collect(),
        build_fact_customer_retention(facts, customers).collect(),
    )
    return kpi, retention


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    initial=st.lists(commits, max_size=4),
    later=st.lists(
        st.tuples(commits, st.booleans(), st.sampled_from([False, False, False, True])),
        min_size=1,
        max_size=3,
    ),
)
def test_refreshed_marts_equal_a_full_build_of_the_same_facts(
    initial: list[tuple[Any, ...]], later: list[tuple[tuple[Any, ...], bool, bool]]
) -> None:
    facts, payments = lines_table(), payments_table()
    version = 0
    for change in initial:
        version += 1
        apply_commit(facts, payments, change, version)
    # Every other advance of the state writes it whole: appends and compactions both happen.
    with (
        tempfile.TemporaryDirectory() as root,
        patch.object(customer_state, "COMPACT_AFTER_APPENDS", 2),
    ):
        lake = _first_lake(root, facts, payments, version)
        assert _refresh_and_compare(lake) == (FULL, FULL)  # nothing recorded yet
        rewritten = False  # a whole rewrite of the facts since the marts' last refresh
        for index, (change, refresh_after, rewrite_whole) in enumerate(later):
            version += 1
            apply_commit(facts, payments, change, version)
            _write_facts(lake, "fact_order_lines", facts, version, rewrite_whole)
            _write_facts(lake, "fact_payments", payments, version, rewrite_whole)
            rewritten = rewritten or rewrite_whole
            if refresh_after or index == len(later) - 1:
                modes = _refresh_and_compare(lake)
                # A whole rewrite of the facts is read as a rebuild, date slices as changes.
                if rewritten:
                    assert modes == (FULL, FULL)
                else:
                    assert FULL not in modes
                rewritten = False


def _state(lake: LakeResource, mart: str) -> pl.DataFrame:
    stored = lake.scan(STATE_LAYER, state_table(mart))
    return stored_state(stored).sort("customer_id", "date_key").collect()


def test_a_crash_around_the_customer_state_still_leaves_the_marts_right() -> None:
    """The state advances before the mart publishes: a mart run that never publishes (a crash
    or a failed audit) leaves the state ahead, and the next run is still right. A state
    written after its last recorded progress (a crash between the two) is rebuilt, not
    trusted: here it holds a made-up row, which a rebuild drops."""
    facts, payments = lines_table(), payments_table()
    facts.upsert(line(1, "O1", 20261001, 11, "paid", "10.00"), 1)  # C1's first order
    facts.upsert(line(2, "O2", 20261031, 12, "paid", "4.00"), 1)  # C1 again, version 2
    facts.upsert(line(3, "O3", 20261002, 21, "paid", "5.00"), 1)  # C2
    with tempfile.TemporaryDirectory() as root:
        lake = _first_lake(root, facts, payments, 1)
        assert _refresh_and_compare(lake) == (FULL, FULL)
        assert _state(lake, "kpi_daily").rows() == [
            ("C1", 20261001, 1, D("10.00")),
            ("C1", 20261031, 1, D("4.00")),
            ("C2", 20261002, 1, D("5.00")),
        ]

        # C1's first order is cancelled: their first day moves to Oct 31 (another version).
        facts.upsert(line(1, "O1", 20261001, 11, "cancelled", "0.00"), 2)
        _write_facts(lake, "fact_order_lines", facts, 2, whole=False)
        refresh_kpi_daily(lake, RUN)  # computed, never published
        refresh_fact_customer_retention(lake, RUN)
        expected = [("C1", 20261031, 1, D("4.00")), ("C2", 20261002, 1, D("5.00"))]
        assert _state(lake, "kpi_daily").rows() == expected
        assert _state(lake, "fact_customer_retention").rows() == expected
        assert _refresh_and_compare(lake) == (INCREMENTAL, INCREMENTAL)

        # A state commit without its progress record: the next run rebuilds the state.
        bogus = pl.DataFrame(
            [("C3", 20261003, 7, D("1.00"))], schema=_state(lake, "kpi_daily").schema, orient="row"
        )
        lake.replace_values(STATE_LAYER, state_table("kpi_daily"), bogus, "customer_id", ["C3"])
        facts.upsert(line(4, "O4", 20261003, 22, "paid", "2.00"), 3)  # C2 again
        _write_facts(lake, "fact_order_lines", facts, 3, whole=False)
        assert _refresh_and_compare(lake) == (INCREMENTAL, INCREMENTAL)
        expected = [
            ("C1", 20261031, 1, D("4.00")),
            ("C2", 20261002, 1, D("5.00")),
            ("C2", 20261003, 1, D("2.00")),
        ]
        assert _state(lake, "kpi_daily").rows() == expected
        assert _state(lake, "fact_customer_retention").rows() == expected


def test_changes_affecting_most_days_or_months_build_the_marts_whole() -> None:
    """The marts' cost guard: a slice reads the facts of its affected KPI days (retention: its
    activity months), so past `rebuild_share` of them a full build is cheaper. Three KPI days
    (Sep 30, Oct 1, Oct 2) in two months; amounts change on existing lines, so the affected
    days and months are the changed ones. Both equal a full build either way."""
    guarded = GoldRun("guarded-run", rebuild_share=0.5, guard_min_rows=0)
    facts, payments = lines_table(), payments_table()
    for key, day, customer in ((1, 20260930, 11), (2, 20261001, 21), (3, 20261002, 31)):
        facts.upsert(line(key, f"O{key}", day, customer, "paid", "10.00"), 1)
    with tempfile.TemporaryDirectory() as root:
        lake = _first_lake(root, facts, payments, 1)
        assert _refresh_and_compare(lake, guarded) == (FULL, FULL)  # nothing recorded yet

        facts.upsert(line(2, "O2", 20261001, 21, "paid", "12.00"), 2)
        facts.upsert(line(3, "O3", 20261002, 31, "paid", "12.00"), 2)
        _write_facts(lake, "fact_order_lines", facts, 2, whole=False)
        kpi, retention = _refresh_and_compare_slices(lake, guarded)
        # 2 of 3 days (67%) is over 50%; 1 of 2 months (October) is not.
        assert (kpi.mode, retention.mode) == (FULL, INCREMENTAL)
        assert kpi.reason.startswith("the changes affect 2 of 3 KPI days"), kpi.reason

        facts.upsert(line(1, "O1", 20260930, 11, "paid", "11.00"), 3)
        facts.upsert(line(2, "O2", 20261001, 21, "paid", "11.00"), 3)
        _write_facts(lake, "fact_order_lines", facts, 3, whole=False)
        kpi, retention = _refresh_and_compare_slices(lake, guarded)
        assert (kpi.mode, retention.mode) == (FULL, FULL)
        assert retention.reason.startswith("the changes affect 2 of 2 activity months")

        facts.upsert(line(3, "O3", 20261002, 31, "paid", "9.00"), 4)  # 1 of 3 days, 1 of 2
        _write_facts(lake, "fact_order_lines", facts, 4, whole=False)
        assert _refresh_and_compare(lake, guarded) == (INCREMENTAL, INCREMENTAL)
