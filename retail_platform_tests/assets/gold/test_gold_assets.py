"""Silver and gold with every quality check, in one Dagster run over a small bronze layer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.gold import star
from retail_platform.assets.silver import SILVER_MODULES
from retail_platform.contracts import bronze
from retail_platform.quality.checks import build_asset_checks
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.silver.small_lake import (
    bronze_table,
    line,
    order,
    report_bronze_days,
    run_assets,
)

D = Decimal
MODULES = [*SILVER_MODULES, star]
SILVER_AND_GOLD = dg.AssetSelection.groups("silver", "quarantine", "gold")


@pytest.fixture
def lake(small_lake: LakeResource) -> LakeResource:
    return small_lake  # assets/conftest.py


def run_silver_and_gold(
    lake: LakeResource, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    assets = dg.load_assets_from_modules(MODULES)
    return run_assets(assets, build_asset_checks(), lake, instance, SILVER_AND_GOLD)


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        event.materialization.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
    }


def test_clean_silver_builds_gold_with_hand_computed_kpis_and_every_check_passes(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03"])

    result = run_silver_and_gold(lake, instance)

    assert result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    # Only a warning: the small lake's malformed order O4 is 1 of 6 order versions.
    assert [(e.asset_check_key.to_user_string(), e.severity) for e in failed] == [
        ("silver/orders_quarantine:quarantine_within_limits", dg.AssetCheckSeverity.WARN)
    ]
    assert len(result.get_asset_check_evaluations()) >= 45
    kpis = lake.scan("gold", "kpi_daily").sort("date_key").collect()  # a lake read has no order
    assert kpis.drop("date_key").rows() == [
        # O1 (shipped): 2 x 10.00 - 1.00 + 5.00 = 24.00; O2 cancelled; C1 new. PAY1 captured.
        (date(2026, 10, 1), D("24.00"), 1, D("24.00"), 1, 0, D("0.0000"), D("0.0000")),
        # O3 placed that day and later returned: an order of C2 (new), revenue 0.
        (date(2026, 10, 2), D("0.00"), 1, D("0.00"), 1, 0, D("0.0000"), D("0.0000")),
        # Only PAY3, a refund: 1 / (0 + 1).
        (date(2026, 10, 3), D("0.00"), 0, D("0.00"), 0, 0, D("1.0000"), D("0.0000")),
    ]
    partner_sales = lake.scan("gold", "fact_partner_sales").collect()
    # 6 x 9.00 - 2 x 4.50: the C invoice nets out.
    assert partner_sales.get_column("net_amount_reporting").sum() == D("45.00")


def test_gold_checks_pass_after_an_incremental_silver_run_with_a_late_update(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"])
    assert run_silver_and_gold(lake, instance).success
    # A later batch: O1, placed on Oct 1, is returned on Oct 4.
    returned = order("O1", "C1", "returned", "2026-10-01T10:00:00Z", "2026-10-04T09:00:00Z",
                     [line(1, "P1", 2, "10.00", "1.00"), line(2, "P2", 1, "5.00")])  # fmt: skip
    batch = bronze_table(bronze.ORDERS, [returned]).with_columns(pl.lit("run-2").alias("_batch_id"))
    lake.append("bronze", "orders", batch)

    result = run_silver_and_gold(lake, instance)

    assert result.success
    errors = [
        e.asset_check_key.to_user_string()
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert errors == []
    orders_run = next(
        event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == dg.AssetKey(["silver", "orders"])
    )
    assert orders_run["refresh_mode"].value == "incremental"
    kpis = lake.scan("gold", "kpi_daily").sort("date_key").collect()
    # Oct 1: O1 is now returned (revenue 0, still an order of C1, new that day).
    assert kpis.drop("date_key").row(0) == (
        date(2026, 10, 1), D("0.00"), 1, D("0.00"), 1, 0, D("0.0000"), D("0.0000"))  # fmt: skip


def test_kpi_lineage_names_the_columns_that_feed_each_kpi(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03"])
    result = run_silver_and_gold(lake, instance)

    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey(["gold", "kpi_daily"])
    )
    lineage = event.materialization.metadata["dagster/column_lineage"].value
    revenue = [(dep.asset_key.to_user_string(), dep.column_name)
               for dep in lineage.deps_by_column["revenue"]]  # fmt: skip
    assert revenue == [("gold/fact_order_lines", "net_amount_reporting")]
    fact = star.fact_order_lines.specs_by_key[dg.AssetKey(["gold", "fact_order_lines"])]
    net = fact.metadata["dagster/column_lineage"].deps_by_column["net_amount_reporting"]
    assert {(dep.asset_key.to_user_string(), dep.column_name) for dep in net} == {
        ("silver/order_lines", "line_amount"),
        ("silver/order_lines", "status"),
        ("silver/fx_rates", "rate_to_reporting"),
    }


def test_a_blocking_silver_check_stops_gold_built_on_that_silver(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    # Oct 2 was never ingested: silver orders and payments are incomplete.
    report_bronze_days(instance, ["2026-10-01", "2026-10-03"])

    result = run_silver_and_gold(lake, instance)

    assert not result.success
    failed = {
        e.asset_check_key.to_user_string()
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    }
    assert failed == {
        "silver/orders:bronze_partitions_complete",
        "silver/payments:bronze_partitions_complete",
    }
    built = materialized(result)
    assert {"silver/orders", "silver/payments", "gold/dim_product", "gold/dim_partner"} <= built
    # Everything that reads silver orders or payments was not built.
    assert not built & {
        "gold/dim_customer",
        "gold/dim_date",
        "gold/fact_order_lines",
        "gold/fact_payments",
        "gold/kpi_daily",
        "gold/fact_customer_retention",
    }
