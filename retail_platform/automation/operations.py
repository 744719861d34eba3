"""Everything that runs the platform unattended, added to the data Definitions in one place.

Pools, retry policies and automation conditions are declared on each asset and check where it
is defined (automation/policies.py holds the shared helpers); this adds what runs around them.
"""

import dagster as dg

from retail_platform.automation.alerts import run_failure_alerts
from retail_platform.automation.maintenance import (
    build_lake_maintenance_job,
    build_lake_maintenance_schedule,
)
from retail_platform.automation.policies import build_automation_sensor, pools_by_key


def with_operations(data: dg.Definitions, live: bool = False) -> dg.Definitions:
    """`data` merged with the automation and alert sensors and the lake maintenance job."""
    executable = [
        a for a in data.assets or [] if isinstance(a, dg.AssetsDefinition) and a.is_executable
    ]
    maintenance_job = build_lake_maintenance_job(pools_by_key(executable))
    operations = dg.Definitions(
        jobs=[maintenance_job],
        schedules=[build_lake_maintenance_schedule(maintenance_job)],
        sensors=[
            build_automation_sensor(live=live),
            run_failure_alerts,
        ],
        # Steps are Polars, which already uses every core; a process per step would only add
        # seconds of imports to each of them (measured in the daemon end-to-end test).
        executor=None if data.executor else dg.in_process_executor,
    )
    return dg.Definitions.merge(data, operations)
