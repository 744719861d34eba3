"""Everything that runs the platform unattended, added to the data Definitions in one place."""

import dagster as dg

from retail_platform.automation.alerts import run_failure_alerts
from retail_platform.automation.maintenance import (
    build_lake_maintenance_job,
    build_lake_maintenance_schedule,
)
from retail_platform.automation.policies import (
    apply_operational_policies,
    build_automation_sensor,
    pools_by_key,
    with_check_conditions,
)
from retail_platform.quality.freshness import build_freshness_checks, build_freshness_sensor


def with_operations(data: dg.Definitions, live: bool = False) -> dg.Definitions:
    """`data` with retries, pools and automation conditions on its assets, plus freshness
    checks, the automation, alert and freshness sensors, and the lake maintenance job."""
    assets = [
        *apply_operational_policies(
            [a for a in data.assets or [] if isinstance(a, dg.AssetsDefinition) and a.is_executable]
        ),
        *(
            a
            for a in data.assets or []
            if not (isinstance(a, dg.AssetsDefinition) and a.is_executable)
        ),
    ]
    executable = [a for a in assets if isinstance(a, dg.AssetsDefinition)]
    freshness_checks = build_freshness_checks(executable)
    maintenance_job = build_lake_maintenance_job(pools_by_key(executable))
    return dg.Definitions(
        assets=assets,
        asset_checks=[
            with_check_conditions(checks)
            for checks in [*(data.asset_checks or []), *freshness_checks]
        ],
        jobs=[*(data.jobs or []), maintenance_job],
        schedules=[*(data.schedules or []), build_lake_maintenance_schedule(maintenance_job)],
        sensors=[
            *(data.sensors or []),
            build_automation_sensor(live=live),
            run_failure_alerts,
            build_freshness_sensor(freshness_checks),
        ],
        resources=data.resources,
        # Steps are Polars, which already uses every core; a process per step would only add
        # seconds of imports to each of them (measured in the daemon end-to-end test).
        executor=data.executor or dg.in_process_executor,
        loggers=data.loggers,
        metadata=data.metadata,
    )
