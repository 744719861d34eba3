"""Lake maintenance I/O: compact a Delta table, vacuum what is past retention, measure both.

The lake resource (`LakeResource.maintain`) is the one caller: it knows where tables live and
how to reach storage; automation/maintenance.py schedules it and reports what it did.

A table with clustering columns (contracts' `cluster_by`) is compacted by `optimize.z_order`
on the leading one: it rewrites the table sorted by it, so every file again holds a narrow
range and the next night's slice replace or merge skips the rest. Plain bin-packing
(`optimize.compact`) would pack small files of distant ranges (a late update's day, today's)
into one wide file. The price is a rewrite of the whole table once a maintenance window,
off the nightly path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:  # imported where used: loading the code location should not pay for pyarrow
    import pyarrow.fs as pafs
    from deltalake import DeltaTable

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
    target_file_size_bytes: int | None = Field(
        default=None,
        description="Compaction writes files up to this size; unset: the lake's own "
        "target_file_size_bytes, so compaction keeps the file size writes make.",
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
    compaction: str
    """'z_order(<columns>)' for a clustered table, else 'compact' (bin-packing)."""

    def metadata(self) -> dict[str, int | str]:
        return asdict(self)


def _filesystem(uri: str, options: Mapping[str, str]) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for a table URI (local folder, or S3 / MinIO)."""
    import pyarrow.fs as pafs

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
    import pyarrow.fs as pafs

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
    import pyarrow as pa

    return pa.table(table.get_add_actions(flatten=True)).num_rows


def maintain_table(
    name: str,
    uri: str,
    options: Mapping[str, str],
    retention_hours: int,
    target_file_size_bytes: int,
    cluster_by: Sequence[str] = (),
) -> TableMaintenance:
    """Compact (z-ordered by the leading `cluster_by` column when the table has it), then vacuum
    files replaced more than `retention_hours` ago; measure around both."""
    from deltalake import DeltaTable

    before = stored_files(uri, options)
    table = DeltaTable(uri, storage_options=dict(options) or None)
    live_before = _live_files(table)
    present = set(table.schema().to_arrow().names)
    # A table written before its contract declared the column is bin-packed instead. Only
    # the leading column: z-order interleaves several columns, which would widen its ranges.
    if cluster_by and cluster_by[0] in present:
        compaction = f"z_order({cluster_by[0]})"
        metrics = table.optimize.z_order([cluster_by[0]], target_size=target_file_size_bytes)
    else:
        compaction = "compact"
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
        compaction=compaction,
    )
