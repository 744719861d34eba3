"""The code location: Definitions for the environment named by RETAIL_PLATFORM_ENV."""

from __future__ import annotations

import dagster as dg

from retail_platform.assets.bronze import mongo as bronze_mongo
from retail_platform.assets.bronze import rest as bronze_rest
from retail_platform.assets.bronze import s3 as bronze_s3
from retail_platform.assets.gold import star
from retail_platform.assets.partitions import with_daily_partitions_from
from retail_platform.assets.silver import SILVER_MODULES
from retail_platform.assets.warehouse.governance import governance
from retail_platform.assets.warehouse.load import warehouse_assets
from retail_platform.automation.jobs import (
    backfill_dated_sources_job,
    customer_db_job,
    everything_job,
    nightly_dated_sources_job,
    partner_files_job,
)
from retail_platform.automation.operations import with_operations
from retail_platform.automation.schedules import (
    build_customer_db_schedule,
    build_dated_sources_schedule,
)
from retail_platform.automation.sensors import build_partner_files_sensor
from retail_platform.environment import (
    Environment,
    current_environment,
    local_live_interval,
    local_partitions_start,
    local_state_dir,
    resources_for,
)
from retail_platform.quality.checks import build_asset_checks


def build_definitions(environment: Environment | None = None) -> dg.Definitions:
    environment = environment or current_environment()
    assets = dg.load_assets_from_modules(
        [
            *(bronze_rest, bronze_mongo, bronze_s3),
            *SILVER_MODULES,
            star,
        ]
    )
    live_interval = 0
    if environment is Environment.LOCAL:  # the embedded data window rolls with the clock
        live_interval = local_live_interval(local_state_dir())
        assets = with_daily_partitions_from(
            assets, local_partitions_start(local_state_dir()), end_offset=1 if live_interval else 0
        )
    # Retries, pools, automation, freshness, alerts and maintenance: automation/operations.py
    return with_operations(
        dg.Definitions(
            assets=[*assets, *warehouse_assets, governance],
            asset_checks=build_asset_checks(),
            jobs=[
                nightly_dated_sources_job,
                backfill_dated_sources_job,
                partner_files_job,
                customer_db_job,
                everything_job,
            ],
            # Live local mode: short cadences, and on from the start (each one's description).
            schedules=[
                build_dated_sources_schedule(live_interval),
                build_customer_db_schedule(live_interval),
            ],
            sensors=[build_partner_files_sensor(live=bool(live_interval))],
            resources=resources_for(environment),
        ),
        live=bool(live_interval),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
