"""Schedules of the sources that have no arrival sensor: the dated commerce API and MongoDB.

Production (and a local stack that is not live): nightly, stopped until an operator turns them
on. Live local mode (`make dev`): every few minutes and running from the start, so the stand-ins'
new orders and customer changes reach gold with nobody launching a run.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from retail_platform.automation.jobs import (
    customer_db_job,
    nightly_dated_sources_job,
    trigger_tags,
)

NIGHTLY_DESCRIPTION = (
    "02:00 UTC: ingests yesterday's orders and payments (the day is complete and the API is "
    "quiet). Stopped by default: turn it on in the environment that owns the nightly load."
)
CUSTOMER_DB_DESCRIPTION = (
    "02:30 UTC: ingests the customers and reviews changed in MongoDB since the last load "
    "(incremental by updated_at). Stopped by default, like the nightly schedule."
)


def live_cron(interval_seconds: int) -> str:
    """Every tick of the live flow, rounded up to whole minutes (cron's resolution)."""
    minutes = max(1, -(-interval_seconds // 60))
    return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"


def build_dated_sources_schedule(live_interval_seconds: int = 0) -> dg.ScheduleDefinition:
    if not live_interval_seconds:
        return dg.build_schedule_from_partitioned_job(
            nightly_dated_sources_job,
            hour_of_day=2,
            minute_of_hour=0,
            name="nightly_dated_sources_schedule",
            description=NIGHTLY_DESCRIPTION,
            tags=trigger_tags("schedule", "bronze"),
        )

    @dg.schedule(
        name="nightly_dated_sources_schedule",
        job=nightly_dated_sources_job,
        cron_schedule=live_cron(live_interval_seconds),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="LIVE LOCAL MODE (on because `make dev` started the stand-ins live): "
        f"every {live_interval_seconds} s instead of nightly, re-ingests today's partition of "
        "orders and payments (and yesterday's just after midnight) so the orders the REST "
        "simulator keeps producing reach gold within minutes. In production it runs at 02:00.",
    )
    def live_dated_sources(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        now = context.scheduled_execution_time
        days = [now.date()]
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if now - timedelta(seconds=2 * live_interval_seconds) < midnight:
            days.insert(0, now.date() - timedelta(days=1))
        return [
            dg.RunRequest(
                run_key=f"{day.isoformat()}@{now.isoformat()}",
                partition_key=day.isoformat(),
                tags=trigger_tags("schedule", "bronze"),
            )
            for day in days
        ]

    return live_dated_sources


def build_customer_db_schedule(live_interval_seconds: int = 0) -> dg.ScheduleDefinition:
    if not live_interval_seconds:
        return dg.ScheduleDefinition(
            name="nightly_customer_db_schedule",
            job=customer_db_job,
            cron_schedule="30 2 * * *",
            execution_timezone="UTC",
            description=CUSTOMER_DB_DESCRIPTION,
            tags=trigger_tags("schedule", "bronze"),
        )
    return dg.ScheduleDefinition(
        name="nightly_customer_db_schedule",
        job=customer_db_job,
        cron_schedule=live_cron(live_interval_seconds),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="LIVE LOCAL MODE (on because `make dev` started the stand-ins live): "
        f"every {live_interval_seconds} s instead of nightly, ingests the customer changes the "
        "embedded MongoDB keeps receiving, so dim_customer gains SCD2 versions as you watch.",
        tags=trigger_tags("schedule", "bronze"),
    )


# What production (and every non-live load of the code location) gets.
nightly_dated_sources_schedule = build_dated_sources_schedule()
