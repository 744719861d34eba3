"""Jobs the schedules and sensors launch, and the run tags that say what started a run.

Every run the platform starts carries `retail/trigger` (schedule, sensor, automation, backfill,
manual, demo) and, where one layer is written, `retail/layer`: the Runs page filters on them.
Runs of these jobs launched by hand from the UI get the job's tags (trigger `manual`);
schedules, sensors and the declarative automation set their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import dagster as dg

TRIGGER_TAG = "retail/trigger"
LAYER_TAG = "retail/layer"

DATED_SOURCES = dg.AssetSelection.assets(["bronze", "orders"], ["bronze", "payments"])
PARTNER_FILES = dg.AssetSelection.assets(
    ["bronze", "products"],
    ["bronze", "partners"],
    ["bronze", "partner_sales"],
    ["bronze", "inventory"],
)


def trigger_tags(trigger: str, layer: str | None = None) -> dict[str, str]:
    return {TRIGGER_TAG: trigger, **({LAYER_TAG: layer} if layer else {})}


def layer_of(keys: Iterable[dg.AssetKey]) -> str:
    """The layer a set of assets writes: `bronze`, ..., or `a+b` when it spans several."""
    order = {"bronze": 0, "silver": 1, "quarantine": 2, "gold": 3, "warehouse": 4}
    layers = {key.path[0] for key in keys}
    return "+".join(sorted(layers, key=lambda name: (order.get(name, 9), name)))


def partition_range_tags(first_day: date, last_day: date) -> dict[str, str]:
    """One run over a range of daily partitions (the dated sources' single-run backfill)."""
    return {
        "dagster/asset_partition_range_start": first_day.isoformat(),
        "dagster/asset_partition_range_end": last_day.isoformat(),
    }


nightly_dated_sources_job = dg.define_asset_job(
    "nightly_dated_sources",
    selection=DATED_SOURCES,
    description="Ingest yesterday's orders and payments from the commerce API.",
    tags=trigger_tags("manual", "bronze"),
)

backfill_dated_sources_job = dg.define_asset_job(
    "backfill_dated_sources",
    selection=DATED_SOURCES,
    description="The one-click history load of a fresh instance: open this job, choose "
    "'Materialize all...' (or Launch backfill), keep every partition selected and launch. "
    "The dated sources have a single-run backfill policy, so the whole window is one run; "
    "the declarative automation then carries silver, gold and the warehouse.",
    tags=trigger_tags("backfill", "bronze"),
)

partner_files_job = dg.define_asset_job(
    "partner_files",
    selection=PARTNER_FILES,
    description="Ingest new or changed partner files from S3: catalog, partner directory, "
    "partner sales and inventory snapshots.",
    tags=trigger_tags("manual", "bronze"),
)

CUSTOMER_DB = dg.AssetSelection.assets(["bronze", "customers"], ["bronze", "reviews"])

customer_db_job = dg.define_asset_job(
    "customer_db",
    selection=CUSTOMER_DB,
    description="Ingest the customers and reviews changed in MongoDB since the last load.",
    tags=trigger_tags("manual", "bronze"),
)

everything_job = dg.define_asset_job(
    "materialize_everything",
    selection=dg.AssetSelection.all() - DATED_SOURCES,
    description="Rebuild every unpartitioned asset: S3 and MongoDB, silver, gold, warehouse.",
    tags=trigger_tags("manual"),
)
