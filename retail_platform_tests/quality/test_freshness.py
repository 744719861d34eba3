"""Freshness SLAs on gold and warehouse, evaluated by Dagster against a real instance."""

import time
from datetime import timedelta

import dagster as dg

from retail_platform.quality.freshness import (
    GOLD_SLA,
    WAREHOUSE_SLA,
    build_freshness_checks,
    build_freshness_sensor,
)

GOLD_KPIS = dg.AssetKey(["gold", "kpi_daily"])
WAREHOUSE_KPIS = dg.AssetKey(["warehouse", "kpi_daily"])
SILVER_ORDERS = dg.AssetKey(["silver", "orders"])


@dg.multi_asset(
    specs=[dg.AssetSpec(GOLD_KPIS), dg.AssetSpec(WAREHOUSE_KPIS), dg.AssetSpec(SILVER_ORDERS)]
)
def three_layers():
    """The checks only read materialization times, so the computation does not matter."""


def _evaluate(checks: list[dg.AssetChecksDefinition], instance: dg.DagsterInstance) -> dict:
    result = dg.materialize(
        [three_layers, *checks], instance=instance, selection=dg.AssetSelection.all_asset_checks()
    )
    return {
        evaluation.asset_key.to_user_string(): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }


def test_the_slas_are_26_hours_for_gold_and_27_for_the_warehouse() -> None:
    assert (timedelta(hours=26), timedelta(hours=27)) == (GOLD_SLA, WAREHOUSE_SLA)
    checks = build_freshness_checks([three_layers])
    checked = {key.asset_key.to_user_string() for check in checks for key in check.check_keys}
    assert checked == {"gold/kpi_daily", "warehouse/kpi_daily"}  # silver has no SLA


def test_fresh_assets_pass_and_stale_ones_fail() -> None:
    with dg.instance_for_test() as instance:
        for key in (GOLD_KPIS, WAREHOUSE_KPIS):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
        assert _evaluate(build_freshness_checks([three_layers]), instance) == {
            "gold/kpi_daily": True,
            "warehouse/kpi_daily": True,
        }
        time.sleep(1.5)
        strict = build_freshness_checks(
            [three_layers], gold_sla=timedelta(seconds=1), warehouse_sla=timedelta(hours=1)
        )
        assert _evaluate(strict, instance) == {
            "gold/kpi_daily": False,
            "warehouse/kpi_daily": True,
        }


def test_never_materialized_assets_are_overdue() -> None:
    with dg.instance_for_test() as instance:
        assert _evaluate(build_freshness_checks([three_layers]), instance) == {
            "gold/kpi_daily": False,
            "warehouse/kpi_daily": False,
        }


def test_the_sensor_that_re_evaluates_the_checks_runs_by_default() -> None:
    sensor = build_freshness_sensor(build_freshness_checks([three_layers]))
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 300
