"""Partitioning shared by the dated sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg

# The first day the production commerce API has data for. The local stack's window rolls (13
# months up to yesterday): `with_daily_partitions_from` moves the start when Definitions are
# built for it.
FIRST_DAY = "2026-10-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=0)


def with_daily_partitions_from(
    assets: Sequence[Any], start_date: str, end_offset: int = 0
) -> list[Any]:
    """`assets`, the daily-partitioned ones starting on `start_date` instead of FIRST_DAY
    (and with `end_offset=1`, today's partition too: live local mode fills it as it goes)."""
    moved = dg.DailyPartitionsDefinition(start_date=start_date, end_offset=end_offset)
    return [
        asset.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=moved))
        if isinstance(asset, dg.AssetsDefinition) and asset.partitions_def == daily_partitions
        else asset
        for asset in assets
    ]
