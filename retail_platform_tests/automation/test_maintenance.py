"""Lake maintenance on real Delta tables in a temporary lake."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.automation.maintenance import (
    LakeMaintenancePolicy,
    build_lake_maintenance_job,
    maintain_table,
)
from retail_platform.resources.lake import LakeResource


def _append_rows(uri: str, *values: int) -> None:
    """One write per value: each leaves one small Parquet file."""
    for value in values:
        pl.DataFrame({"id": [value]}).write_delta(uri, mode="append")


def _parquet_on_disk(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.parquet") if "_delta_log" not in p.parts]
    return len(files), sum(p.stat().st_size for p in files)


def test_compaction_then_vacuum_at_zero_retention_leaves_one_file(tmp_path: Path) -> None:
    uri = str(tmp_path / "silver" / "orders")
    _append_rows(uri, 1, 2, 3)
    files_before, bytes_before = _parquet_on_disk(Path(uri))
    assert files_before == 3

    report = maintain_table(
        "silver.orders", uri, {}, retention_hours=0, target_file_size_bytes=1 << 20
    )

    files_after, bytes_after = _parquet_on_disk(Path(uri))
    assert files_after == 1
    assert (report.files_before, report.bytes_before) == (3, bytes_before)
    assert (report.files_after, report.bytes_after) == (1, bytes_after)
    assert (report.live_files_before, report.live_files_after) == (3, 1)
    assert (report.files_compacted, report.files_written_by_compaction) == (3, 1)
    assert report.files_vacuumed == 3
    assert sorted(pl.read_delta(uri)["id"].to_list()) == [1, 2, 3]  # data unchanged


def test_files_inside_the_retention_period_are_kept(tmp_path: Path) -> None:
    uri = str(tmp_path / "bronze" / "products")
    _append_rows(uri, 1, 2)
    before = {p.name for p in Path(uri).glob("*.parquet")}
    report = maintain_table(
        "bronze.products", uri, {}, retention_hours=168, target_file_size_bytes=1 << 20
    )
    # Compaction adds one file and retires two, but they stay restorable for 168 hours.
    assert (report.files_before, report.files_after) == (2, 3)
    assert (report.live_files_before, report.live_files_after) == (2, 1)
    assert report.files_vacuumed == 0
    on_disk = {p.name for p in Path(uri).glob("*.parquet")}
    assert len(on_disk) == 3 and before < on_disk  # both originals kept, one file added
    assert report.bytes_after == _parquet_on_disk(Path(uri))[1]


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


def test_defaults_keep_bronze_longest_and_a_missing_layer_is_named() -> None:
    policy = LakeMaintenancePolicy()
    assert policy.retention_for("bronze") == 720
    assert policy.retention_for("silver") == policy.retention_for("gold") == 168
    with pytest.raises(ValueError, match="no entry for layer 'platinum'"):
        policy.retention_for("platinum")
    with pytest.raises(ValueError, match=r"retention_hours\['gold'\] is negative: -1"):
        LakeMaintenancePolicy(retention_hours={"gold": -1}).retention_for("gold")


def test_the_weekly_schedule_runs_sunday_at_four_utc() -> None:
    from retail_platform.automation.maintenance import build_lake_maintenance_schedule

    job = build_lake_maintenance_job({dg.AssetKey(["gold", "dim_date"]): "delta/gold/dim_date"})
    schedule = build_lake_maintenance_schedule(job)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 4 * * 0", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
