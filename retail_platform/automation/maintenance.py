"""Lake maintenance: compact small files, vacuum what is past the layer's retention, report.

One op per Delta table, each in the pool of the asset that writes that table, so maintenance
never rewrites a table while a run writes it. Every op records what it did as an observation
on the table's asset (files and bytes on storage before and after), visible in the UI.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlparse

import dagster as dg
import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable
from pydantic import Field

from retail_platform.resources.lake import LakeResource

LAKE_LAYERS = ("bronze", "silver", "gold")
DELTA_LOG_DIR = "_delta_log"


class LakeMaintenancePolicy(dg.ConfigurableResource):
    """How long replaced files stay restorable (time travel) per layer, and the file size goal.

    Bronze keeps the longest: it is what a silver rebuild replays. Override per run in the
    launchpad under `resources.lake_maintenance.config`.
    """

    retention_hours: dict[str, int] = Field(
        default_factory=lambda: {"bronze": 720, "silver": 168, "gold": 168},
        description="Vacuum files that left the table more than this many hours ago, per layer.",
    )
    target_file_size_bytes: int = Field(
        default=128 * 1024 * 1024, description="Compaction bins small files up to this size."
    )

    def retention_for(self, layer: str) -> int:
        if layer not in self.retention_hours:
            raise ValueError(
                f"lake_maintenance.retention_hours has no entry for layer {layer!r}; "
                f"configured layers: {', '.join(sorted(self.retention_hours))}"
            )
        hours = self.retention_hours[layer]
        if hours < 0:
            raise ValueError(f"lake_maintenance.retention_hours[{layer!r}] is negative: {hours}")
        return hours


@dataclass(frozen=True)
class StoredFiles:
    files: int
    bytes: int


@dataclass(frozen=True)
class TableMaintenance:
    table: str
    retention_hours: int
    files_before: int
    bytes_before: int
    files_after: int
    bytes_after: int
    live_files_before: int
    live_files_after: int
    files_compacted: int
    files_written_by_compaction: int
    files_vacuumed: int

    def metadata(self) -> dict[str, int | str]:
        return asdict(self)


def _filesystem(uri: str, options: Mapping[str, str]) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for a table URI (local folder, or S3 / MinIO)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return pafs.LocalFileSystem(), parsed.path if parsed.scheme else uri
    if parsed.scheme in ("s3", "s3a"):
        endpoint = urlparse(options.get("AWS_ENDPOINT_URL", "")) if options else None
        s3 = pafs.S3FileSystem(
            region=options.get("AWS_REGION"),
            endpoint_override=endpoint.netloc if endpoint and endpoint.netloc else None,
            scheme=endpoint.scheme if endpoint and endpoint.scheme else "https",
        )
        return s3, f"{parsed.netloc}{parsed.path}"
    return pafs.FileSystem.from_uri(uri)


def stored_files(uri: str, options: Mapping[str, str]) -> StoredFiles:
    """Data files on storage, referenced or not (the Delta log itself is not counted)."""
    filesystem, path = _filesystem(uri, options)
    infos = filesystem.get_file_info(pafs.FileSelector(path, recursive=True))
    data = [
        info
        for info in infos
        if info.type == pafs.FileType.File
        and f"/{DELTA_LOG_DIR}/" not in info.path
        and info.path.endswith(".parquet")
    ]
    return StoredFiles(files=len(data), bytes=sum(info.size for info in data))


def _live_files(table: DeltaTable) -> int:
    return pa.table(table.get_add_actions(flatten=True)).num_rows


def maintain_table(
    name: str,
    uri: str,
    options: Mapping[str, str],
    retention_hours: int,
    target_file_size_bytes: int,
) -> TableMaintenance:
    """Compact, then vacuum files replaced more than `retention_hours` ago; measure around both."""
    before = stored_files(uri, options)
    table = DeltaTable(uri, storage_options=dict(options) or None)
    live_before = _live_files(table)
    metrics = table.optimize.compact(target_size=target_file_size_bytes)
    # The per-layer setting is the authority, including below Delta's 7-day default.
    vacuumed = table.vacuum(
        retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False
    )
    after = stored_files(uri, options)
    return TableMaintenance(
        table=name,
        retention_hours=retention_hours,
        files_before=before.files,
        bytes_before=before.bytes,
        files_after=after.files,
        bytes_after=after.bytes,
        live_files_before=live_before,
        live_files_after=_live_files(DeltaTable(uri, storage_options=dict(options) or None)),
        files_compacted=int(metrics.get("numFilesRemoved", 0)),
        files_written_by_compaction=int(metrics.get("numFilesAdded", 0)),
        files_vacuumed=len(vacuumed),
    )


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
        report = maintain_table(
            f"{layer}.{table_name}",
            lake.table_uri(layer, table_name),
            lake.storage_options,
            lake_maintenance.retention_for(layer),
            lake_maintenance.target_file_size_bytes,
        )
        context.log.info(
            f"{report.table}: {report.files_before} files / {report.bytes_before} bytes -> "
            f"{report.files_after} files / {report.bytes_after} bytes "
            f"({report.files_compacted} compacted, {report.files_vacuumed} vacuumed)"
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
