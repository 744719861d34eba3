"""Jobs the schedules and sensors launch."""

from __future__ import annotations

import dagster as dg

DATED_SOURCES = dg.AssetSelection.assets(["bronze", "orders"], ["bronze", "payments"])
PARTNER_FILES = dg.AssetSelection.assets(
    ["bronze", "products"],
    ["bronze", "partners"],
    ["bronze", "partner_sales"],
    ["bronze", "inventory"],
)

nightly_dated_sources_job = dg.define_asset_job(
    "nightly_dated_sources",
    selection=DATED_SOURCES,
    description="Ingest yesterday's orders and payments from the commerce API.",
)

partner_files_job = dg.define_asset_job(
    "partner_files",
    selection=PARTNER_FILES,
    description="Ingest new or changed partner files from S3: catalog, partner directory, "
    "partner sales and inventory snapshots.",
)

everything_job = dg.define_asset_job(
    "materialize_everything",
    selection=dg.AssetSelection.all() - DATED_SOURCES,
    description="Rebuild every unpartitioned asset: S3 and MongoDB, silver, gold, warehouse.",
)
