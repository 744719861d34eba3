"""kpi_daily and fact_customer_retention refreshed from the order facts' change feed, in real
Dagster runs over a small lake: a late return, a backfilled earlier order that moves a
customer's first day and cohort, and an order in a new last month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from retail_platform.contracts import bronze
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform_tests.assets.gold.test_gold_assets import run_silver_and_gold
from retail_platform_tests.assets.silver.small_lake import (
    bronze_table,
    line,
    order,
    report_bronze_days,
)

D = Decimal
MARTS = ("gold/kpi_daily", "gold/fact_customer_retention")


@pytest.fixture
def lake(small_lake: LakeResource) -> LakeResource:
    return small_lake  # assets/conftest.py


def _modes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        key: event.materialization.metadata["refresh_mode"].value
        for event in result.get_asset_materialization_events()
        if (key := event.materialization.asset_key.to_user_string()) in MARTS
    }


def _scopes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        key: event.materialization.metadata["refresh_scope"].value
        for event in result.get_asset_materialization_events()
        if (key := event.materialization.asset_key.to_user_string()) in MARTS
    }


def _gold(lake: LakeResource, table: str) -> pl.LazyFrame:
    return lake.scan("gold", table)


def test_marts_refresh_the_affected_dates_and_cohorts_and_equal_a_full_build(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"])
    first = run_silver_and_gold(lake, instance)
    assert first.success
    assert _modes(first) == dict.fromkeys(MARTS, "full")
    # O1 (C1, Oct 1) is returned; C1's order O5 of Sep 30 arrives late (C1's first day and
    # cohort move to September); C2 orders on Nov 2 (a new last day and month).
    late = [
        order("O1", "C1", "returned", "2026-10-01T10:00:00Z", "2026-10-04T09:00:00Z",
              [line(1, "P1", 2, "10.00", "1.00"), line(2, "P2", 1, "5.00")]),
        order("O5", "C1", "paid", "2026-09-30T10:00:00Z", "2026-10-04T09:30:00Z",
              [line(1, "P2", 1, "5.00")]),
        order("O6", "C2", "placed", "2026-11-02T10:00:00Z", "2026-11-02T10:00:00Z",
              [line(1, "P1", 1, "10.00")]),
    ]  # fmt: skip
    batch = bronze_table(bronze.ORDERS, late).with_columns(pl.lit("run-2").alias("_batch_id"))
    lake.append("bronze", "orders", batch)

    second = run_silver_and_gold(lake, instance)

    assert second.success
    assert _modes(second) == dict.fromkeys(MARTS, "incremental")
    kpis = _gold(lake, "kpi_daily").sort("date_key").collect()
    zero_day = (D("0.00"), 0, D("0.00"), 0, 0, D("0.0000"), D("0.0000"))
    assert (
        kpis.get_column("date").to_list()
        == pl.date_range(date(2026, 9, 30), date(2026, 11, 2), eager=True).to_list()
    )
    by_day = {row[1]: row[2:] for row in kpis.rows()}
    # O5 makes C1 new on Sep 30 ...
    assert by_day[date(2026, 9, 30)] == (D("5.00"), 1, D("5.00"), 1, 0, D("0.0000"), D("0.0000"))
    # ... and returning on Oct 1 (O1 returned: an order, revenue 0; PAY1 captured).
    assert by_day[date(2026, 10, 1)] == (D("0.00"), 1, D("0.00"), 0, 1, D("0.0000"), D("0.0000"))
    assert by_day[date(2026, 10, 15)] == zero_day
    # C2 (first order O3 on Oct 2) returns on Nov 2: O6 placed, 10.00.
    assert by_day[date(2026, 11, 2)] == (D("10.00"), 1, D("10.00"), 0, 1, D("0.0000"), D("0.0000"))
    sep, oct_, nov = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
    retention = _gold(lake, "fact_customer_retention").sort("cohort_month", "activity_month")
    assert retention.collect().rows() == [
        (sep, sep, 0, 1, 1, D("1.0000"), D("5.00")),  # C1: O5
        (sep, oct_, 1, 1, 1, D("1.0000"), D("0.00")),  # C1: O1, returned
        (sep, nov, 2, 1, 0, D("0.0000"), D("0.00")),
        (oct_, oct_, 0, 1, 1, D("1.0000"), D("0.00")),  # C2: O3, returned
        (oct_, nov, 1, 1, 1, D("1.0000"), D("10.00")),  # C2: O6
    ]
    # The same as a full build from the same gold facts and dimensions.
    facts, customers = _gold(lake, "fact_order_lines"), _gold(lake, "dim_customer")
    full_kpis = build_kpi_daily(
        facts, _gold(lake, "fact_payments"), customers, _gold(lake, "dim_date")
    ).collect()
    assert_frame_equal(kpis, full_kpis)
    full_retention = build_fact_customer_retention(facts, customers).collect()
    assert_frame_equal(retention.collect(), full_retention)

    versions = {
        table: lake.version("gold", table) for table in ("kpi_daily", "fact_customer_retention")
    }

    third = run_silver_and_gold(lake, instance)

    # Nothing new: whatever input moved (dimensions still rebuild whole), no mart value is
    # recomputed and nothing is committed.
    assert third.success
    assert _scopes(third) == {
        "gold/kpi_daily": "0 date_key value(s)",
        "gold/fact_customer_retention": "0 cohort_month value(s)",
    }
    assert {table: lake.version("gold", table) for table in versions} == versions
