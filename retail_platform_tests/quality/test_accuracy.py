"""Accuracy checks on hand-made silver and gold tables: amounts and revenue reconciliation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts import gold, silver
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.tables import table
from retail_platform_tests.transforms.gold.rates_for_tests import RATES

D = Decimal
OCT1, OCT2 = date(2026, 10, 1), date(2026, 10, 2)
KPI_DAILY = dg.AssetKey(["gold", "kpi_daily"])
FACT = dg.AssetKey(["gold", "fact_order_lines"])


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    # O1 EUR paid, O2 USD paid, O3 returned, O4 cancelled.
    orders = table(
        silver.ORDERS,
        order_id=["O1", "O2", "O3", "O4"],
        currency=["EUR", "USD", "EUR", "EUR"],
        status=["paid", "paid", "returned", "cancelled"],
    )
    lines = table(
        silver.ORDER_LINES,
        order_id=["O1", "O1", "O2", "O3", "O4"],
        line_number=[1, 2, 1, 1, 1],
        quantity=[2, 1, 1, 3, 1],
        unit_price=[D("10.00"), D("5.00"), D("10.01"), D("5.00"), D("10.00")],
        discount=[D("1.00"), D("0"), D("0"), D("0.50"), D("0")],
        line_amount=[D("19.00"), D("5.00"), D("10.01"), D("14.50"), D("10.00")],
        status=["paid", "paid", "paid", "returned", "cancelled"],
        order_date=[OCT1, OCT1, OCT1, OCT2, OCT2],
    )
    lake.replace_table("silver", "orders", orders)
    lake.replace_table("silver", "order_lines", lines)
    lake.replace_table("silver", "fx_rates", RATES.collect())
    return lake


def kpis(revenue_oct1: str) -> pl.DataFrame:
    return table(
        gold.KPI_DAILY,
        date_key=[20261001, 20261002],
        date=[OCT1, OCT2],
        revenue=[D(revenue_oct1), D("0.00")],
    )


def test_kpi_revenue_equal_to_silver_revenue_passes(lake: LakeResource) -> None:
    # Silver, by hand: 19.00 + 5.00 EUR + 10.01 USD x 0.88 (= 8.81) on Oct 1; on Oct 2 only a
    # returned and a cancelled order: 0.
    lake.replace_table("gold", "kpi_daily", kpis("32.81"))

    run = run_check(lake, KPI_DAILY, "revenue_reconciles_with_silver")

    assert run.passed is True
    assert run.metadata["mismatched_days"] == 0
    assert run.metadata["gold_revenue"] == run.metadata["silver_revenue"] == 32.81


def test_a_revenue_mismatch_of_one_cent_fails_and_blocks(lake: LakeResource) -> None:
    lake.replace_table("gold", "kpi_daily", kpis("32.82"))

    run = run_check(lake, KPI_DAILY, "revenue_reconciles_with_silver")

    assert run.passed is False
    assert run.run_succeeded is False
    assert run.metadata["mismatched_days"] == 1
    assert run.metadata["sample"] == (
        "| date_key | left_total | right_total |\n|---|---|---|\n| 20261001 | 32.82 | 32.81 |"
    )


def facts(returned_net: str) -> pl.DataFrame:
    return table(
        gold.FACT_ORDER_LINES,
        order_line_key=[1, 2, 3, 4, 5],
        order_id=["O1", "O1", "O2", "O3", "O4"],
        date_key=[20261001, 20261001, 20261001, 20261002, 20261002],
        currency=["EUR", "EUR", "USD", "EUR", "EUR"],
        net_amount=[D("19.00"), D("5.00"), D("10.01"), D(returned_net), D("0.00")],
    )


def test_fact_net_amounts_that_add_up_to_silver_per_day_and_currency_pass(
    lake: LakeResource,
) -> None:
    lake.replace_table("gold", "fact_order_lines", facts("0.00"))

    run = run_check(lake, FACT, "net_amount_reconciles_with_silver")

    assert run.passed is True


def test_a_returned_order_counted_as_revenue_fails_the_reconciliation(lake: LakeResource) -> None:
    lake.replace_table("gold", "fact_order_lines", facts("14.50"))

    run = run_check(lake, FACT, "net_amount_reconciles_with_silver")

    assert run.passed is False
    assert run.metadata["mismatched_days"] == 1
    assert "| 20261002 | EUR | 14.50 | 0.00 |" in str(run.metadata["sample"])


@pytest.mark.parametrize(
    ("line_amount", "passes"), [("19.00", True), ("19.01", True), ("19.02", False)]
)
def test_silver_line_amount_must_match_its_arithmetic_within_a_cent(
    lake: LakeResource, line_amount: str, passes: bool
) -> None:
    # 2 x 10.00 - 1.00 = 19.00
    line = table(
        silver.ORDER_LINES,
        order_id=["O1"],
        line_number=[1],
        quantity=[2],
        unit_price=[D("10.00")],
        discount=[D("1.00")],
        line_amount=[D(line_amount)],
    )
    lake.replace_table("silver", "order_lines", line)

    run = run_check(lake, dg.AssetKey(["silver", "order_lines"]), "line_amounts_add_up")

    assert run.passed is passes
    assert run.metadata["wrong_lines"] == (0 if passes else 1)


def test_fact_reporting_amounts_must_be_the_converted_amounts(lake: LakeResource) -> None:
    # 10.01 USD x 0.88 = 8.8088: 8.81 is right, 8.90 is not.
    frame = table(
        gold.FACT_ORDER_LINES,
        order_line_key=[1, 2],
        quantity=[1, 1],
        unit_price=[D("10.01"), D("10.01")],
        gross_amount=[D("10.01"), D("10.01")],
        net_amount=[D("10.01"), D("10.01")],
        fx_rate=[D("0.88"), D("0.88")],
        gross_amount_reporting=[D("8.81"), D("8.81")],
        net_amount_reporting=[D("8.81"), D("8.90")],
    )
    lake.replace_table("gold", "fact_order_lines", frame)

    run = run_check(lake, FACT, "amounts_add_up")

    assert run.passed is False
    assert run.metadata["wrong_gross_amount"] == 0
    assert run.metadata["wrong_gross_amount_reporting"] == 0
    assert run.metadata["wrong_net_amount_reporting"] == 1
