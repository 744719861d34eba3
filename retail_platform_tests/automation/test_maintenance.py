"""The lake maintenance job and schedule, on real Delta tables in a temporary lake."""

from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.automation.maintenance import (
    LakeMaintenancePolicy,
    build_lake_maintenance_job,
    build_lake_maintenance_schedule,
)
from retail_platform.resources.lake import LakeResource


def _append_rows(uri: str, *values: int) -> None:
    """One write per value: each leaves one small Parquet file."""
    for value in values:
        pl.DataFrame({"id": [value]}).write_delta(uri, mode="append")


def test_the_job_maintains_existing_tables_and_records_the_report_on_each_asset(
    tmp_path: Path,
) -> None:
    lake = LakeResource(root=str(tmp_path))
    _append_rows(lake.table_uri("bronze", "products"), 1, 2)
    _append_rows(lake.table_uri("gold", "dim_date"), 1)
    keys = {
        dg.AssetKey(["bronze", "products"]): "delta/bronze/products",
        dg.AssetKey(["gold", "dim_date"]): "delta/gold/dim_date",
        dg.AssetKey(["silver", "orders"]): "delta/silver/order_lines",  # not written yet
        dg.AssetKey(["warehouse", "dim_date"]): "snowflake/dim_date",  # not a lake table
    }
    job = build_lake_maintenance_job(keys)
    assert sorted(node.name for node in job.graph.nodes) == [
        "maintain_bronze_products",
        "maintain_gold_dim_date",
        "maintain_silver_orders",
    ]
    policy = LakeMaintenancePolicy(retention_hours={"bronze": 0, "silver": 0, "gold": 0})
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, resources={"lake": lake, "lake_maintenance": policy}
        )
    assert result.success
    observed = {
        event.asset_observation_data.asset_observation.asset_key.to_user_string(): {
            name: value.value
            for name, value in event.asset_observation_data.asset_observation.metadata.items()
        }
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    }
    assert set(observed) == {"bronze/products", "gold/dim_date"}
    products = observed["bronze/products"]
    assert (products["files_before"], products["files_after"], products["files_vacuumed"]) == (
        2,
        1,
        2,
    )
    assert products["retention_hours"] == 0
    # One file already: nothing to compact, nothing to vacuum.
    dim_date = observed["gold/dim_date"]
    assert (dim_date["files_before"], dim_date["files_after"], dim_date["files_compacted"]) == (
        1,
        1,
        0,
    )


def test_the_weekly_schedule_runs_sunday_at_four_utc() -> None:
    job = build_lake_maintenance_job({dg.AssetKey(["gold", "dim_date"]): "delta/gold/dim_date"})
    schedule = build_lake_maintenance_schedule(job)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 4 * * 0", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
