"""Lake maintenance through the lake resource, on real Delta tables in a temporary lake."""

from pathlib import Path

import polars as pl
import pytest

from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_maintenance import LakeMaintenancePolicy


def _append_rows(uri: str, *values: int) -> None:
    """One write per value: each leaves one small Parquet file."""
    for value in values:
        pl.DataFrame({"id": [value]}).write_delta(uri, mode="append")


def _parquet_on_disk(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.parquet") if "_delta_log" not in p.parts]
    return len(files), sum(p.stat().st_size for p in files)


def test_compaction_then_vacuum_at_zero_retention_leaves_one_file(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    uri = lake.table_uri("silver", "orders")
    _append_rows(uri, 1, 2, 3)
    files_before, bytes_before = _parquet_on_disk(Path(uri))
    assert files_before == 3

    report = lake.maintain("silver", "orders", retention_hours=0, target_file_size_bytes=1 << 20)

    files_after, bytes_after = _parquet_on_disk(Path(uri))
    assert files_after == 1
    assert (report.table, report.retention_hours) == ("silver.orders", 0)
    assert (report.files_before, report.bytes_before) == (3, bytes_before)
    assert (report.files_after, report.bytes_after) == (1, bytes_after)
    assert (report.live_files_before, report.live_files_after) == (3, 1)
    assert (report.files_compacted, report.files_written_by_compaction) == (3, 1)
    assert report.files_vacuumed == 3
    assert sorted(pl.read_delta(uri)["id"].to_list()) == [1, 2, 3]  # data unchanged


def test_files_inside_the_retention_period_are_kept(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    uri = lake.table_uri("bronze", "products")
    _append_rows(uri, 1, 2)
    before = {p.name for p in Path(uri).glob("*.parquet")}
    report = lake.maintain(
        "bronze", "products", retention_hours=168, target_file_size_bytes=1 << 20
    )
    # Compaction adds one file and retires two, but they stay restorable for 168 hours.
    assert (report.files_before, report.files_after) == (2, 3)
    assert (report.live_files_before, report.live_files_after) == (2, 1)
    assert report.files_vacuumed == 0
    on_disk = {p.name for p in Path(uri).glob("*.parquet")}
    assert len(on_disk) == 3 and before < on_disk  # both originals kept, one file added
    assert report.bytes_after == _parquet_on_disk(Path(uri))[1]


def test_defaults_keep_bronze_longest_and_a_missing_layer_is_named() -> None:
    policy = LakeMaintenancePolicy()
    assert policy.retention_for("bronze") == 720
    assert policy.retention_for("silver") == policy.retention_for("gold") == 168
    with pytest.raises(ValueError, match="no entry for layer 'platinum'"):
        policy.retention_for("platinum")
    with pytest.raises(ValueError, match=r"retention_hours\['gold'\] is negative: -1"):
        LakeMaintenancePolicy(retention_hours={"gold": -1}).retention_for("gold")
