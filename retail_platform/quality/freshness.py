"""Freshness SLAs on what people query: gold tables and their Snowflake copies.

Each check fails when the asset's last materialization is older than its SLA; the checks show
on every gold and warehouse asset's *Checks* tab, and a sensor re-evaluates them when they
could have become overdue.
"""

import warnings
from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

# Nightly ingestion lands at 02:00 UTC; 26 hours leaves two hours for a slow or retried night.
GOLD_SLA = timedelta(hours=26)
# The load follows gold within minutes; one more hour for a Snowflake retry.
WAREHOUSE_SLA = timedelta(hours=27)
FRESHNESS_SENSOR_INTERVAL_SECONDS = 300


def _keys_in(assets: Sequence[dg.AssetsDefinition], layer: str) -> list[dg.AssetKey]:
    return sorted(key for assets_def in assets for key in assets_def.keys if key.path[0] == layer)


def build_freshness_checks(
    assets: Sequence[dg.AssetsDefinition],
    gold_sla: timedelta = GOLD_SLA,
    warehouse_sla: timedelta = WAREHOUSE_SLA,
) -> list[dg.AssetChecksDefinition]:
    """One last-update freshness check per gold and per warehouse asset, with its layer's SLA."""
    with warnings.catch_warnings():
        # Dagster now prefers FreshnessPolicy, which needs the instance's freshness daemon
        # switched on; checks work on any instance and show pass/fail on the Checks tab.
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return _checks(assets, gold_sla, warehouse_sla)


def _checks(
    assets: Sequence[dg.AssetsDefinition], gold_sla: timedelta, warehouse_sla: timedelta
) -> list[dg.AssetChecksDefinition]:
    return [
        *dg.build_last_update_freshness_checks(
            assets=_keys_in(assets, "gold"), lower_bound_delta=gold_sla
        ),
        *dg.build_last_update_freshness_checks(
            assets=_keys_in(assets, "warehouse"), lower_bound_delta=warehouse_sla
        ),
    ]


def build_freshness_sensor(
    freshness_checks: Sequence[dg.AssetChecksDefinition],
) -> dg.SensorDefinition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=freshness_checks,
            minimum_interval_seconds=FRESHNESS_SENSOR_INTERVAL_SECONDS,
            name="freshness_checks_sensor",
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
