"""The nightly schedule for the dated sources."""

from __future__ import annotations

import dagster as dg

from retail_platform.automation.jobs import nightly_dated_sources_job

# 02:00 UTC: yesterday's partition is complete, and the API is quiet.
nightly_dated_sources_schedule = dg.build_schedule_from_partitioned_job(
    nightly_dated_sources_job, hour_of_day=2, minute_of_hour=0
)
