"""Lake maintenance: compact small files, vacuum what is past the layer's retention, report.

One op per Delta table, each in the pool of the asset that writes that table, so maintenance
never rewrites a table while a run writes it. Every op records what it did as an observation
on the table's asset (files and bytes on storage before and after), visible in the UI. The
Delta I/O itself is the lake resource's (`LakeResource.maintain`).
"""

from collections.abc import Mapping

import dagster as dg

from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_maintenance import LakeMaintenancePolicy

__all__ = [
    "LakeMaintenancePolicy",
    "build_lake_maintenance_job",
    "build_lake_maintenance_schedule",
]

LAKE_LAYERS = ("bronze", "silver", "gold")


def _maintenance_op(key: dg.AssetKey, pool: str) -> dg.OpDefinition:
    layer, table_name = key.path[0], key.path[-1]

    @dg.op(
        name=f"maintain_{layer}_{table_name}",
        pool=pool,
        description=f"Compact and vacuum the Delta table {layer}.{table_name}.",
    )
    def _maintain(
        context: dg.OpExecutionContext,
        lake: LakeResource,
        lake_maintenance: LakeMaintenancePolicy,
    ) -> None:
        if not lake.exists(layer, table_name):
            context.log.info(f"{layer}.{table_name} does not exist yet: nothing to maintain")
            return
        report = lake.maintain(
            layer,
            table_name,
            retention_hours=lake_maintenance.retention_for(layer),
            target_file_size_bytes=lake_maintenance.target_file_size_bytes,
        )
        context.log.info(
            f"{report.table}: {report.files_before} files / {report.bytes_before} bytes -> "
            f"{report.files_after} files / {report.bytes_after} bytes "
            f"({report.files_compacted} compacted by {report.compaction}, "
            f"{report.files_vacuumed} vacuumed)"
        )
        context.log_event(dg.AssetObservation(asset_key=key, metadata=report.metadata()))

    return _maintain


def build_lake_maintenance_job(pools: Mapping[dg.AssetKey, str]) -> dg.JobDefinition:
    """One op per lake table (bronze, silver, gold), run one after the other in one process."""
    tables = sorted(key for key in pools if key.path[0] in LAKE_LAYERS)
    ops = [_maintenance_op(key, pools[key]) for key in tables]

    @dg.graph(
        name="lake_maintenance",
        description="Compact small files and vacuum expired ones in every lake table.",
    )
    def lake_maintenance() -> None:
        for maintain in ops:
            maintain()

    return lake_maintenance.to_job(
        executor_def=dg.in_process_executor, tags={"retail/maintenance": "lake"}
    )


def build_lake_maintenance_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    # Sunday 04:00 UTC: after the nightly ingestion, before the week's first business readers.
    return dg.ScheduleDefinition(
        name="weekly_lake_maintenance",
        job=job,
        cron_schedule="0 4 * * 0",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Weekly compaction and vacuum of every lake table.",
    )
