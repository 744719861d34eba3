"""Partitioning shared by the dated sources."""

from __future__ import annotations

import dagster as dg

# The first day the commerce API has data for; the embedded generator starts on the same day.
FIRST_DAY = "2026-10-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=0)
