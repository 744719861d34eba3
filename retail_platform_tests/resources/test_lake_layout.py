"""The lake's file layout: writes sorted by the clustering columns, files of the lake's size,
so a slice replace or a merge rewrites only the files holding the rows it changes.

The tables are small real Delta tables in a temporary lake. delta-rs 1.6 cuts a file once the
rows written pass the target size, checking every 1,024 rows: with a 16 KiB target each file
below holds 1,024 rows (the last one 544), 20 files for 20,000 rows.
"""

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable

from retail_platform.resources.lake import LakeResource

ROWS, DAYS = 20_000, 10  # 2,000 rows a day
FIRST_DAY = date(2025, 1, 1)
SMALL_FILES = 16 * 1024


def _dated_rows() -> pl.DataFrame:
    """Day `i * DAYS // ROWS` for row i, in shuffled order (as a transform may emit them)."""
    return (
        pl.DataFrame({"i": range(ROWS)})
        .with_columns(
            d=pl.lit(FIRST_DAY) + pl.duration(days=pl.col("i") * DAYS // ROWS),
            k=pl.format("L{}", pl.col("i").cast(pl.String).str.zfill(7)),
            v=pl.col("i"),
        )
        .sample(fraction=1.0, shuffle=True, seed=7)
        .drop("i")
    )


def _files(lake: LakeResource, layer: str, table: str) -> pl.DataFrame:
    """One row per live data file: path, rows, min and max of each column (Delta's stats)."""
    handle = DeltaTable(lake.table_uri(layer, table))
    return pl.from_arrow(pa.table(handle.get_add_actions(flatten=True)))  # type: ignore[return-value]


def _last_commit(lake: LakeResource, layer: str, table: str) -> dict[str, object]:
    entry = DeltaTable(lake.table_uri(layer, table)).history(limit=1)[0]
    return {"operation": entry["operation"], **entry["operationMetrics"]}


def _remove_from_storage(lake: LakeResource, layer: str, table: str, path: str) -> None:
    """Delete a live data file behind the log's back: a write that opens it fails."""
    (Path(lake.table_uri(layer, table)) / path).unlink()


def _lake(tmp_path: Path, clustering: dict[str, list[str]]) -> LakeResource:
    return LakeResource(
        root=str(tmp_path), target_file_size_bytes=SMALL_FILES, clustering=clustering
    )


def test_a_write_is_sorted_by_the_clustering_columns_so_each_file_holds_a_narrow_range(
    tmp_path: Path,
) -> None:
    clustered = _lake(tmp_path / "clustered", {"gold/fact": ["d", "k"]})
    clustered.replace_table("gold", "fact", _dated_rows())
    files = _files(clustered, "gold", "fact").sort("min.k")
    assert files.height == 20
    # Sorted by (d, k): each file's keys follow the previous file's, and a file of 1,024
    # rows spans at most two days of 2,000 rows.
    assert (files["min.k"].slice(1) > files["max.k"].slice(0, 19)).all()
    assert ((files["max.d"] - files["min.d"]) <= timedelta(days=1)).all()
    # The same rows unclustered: every file spans all ten days.
    plain = _lake(tmp_path / "plain", {})
    plain.replace_table("gold", "fact", _dated_rows())
    spans = _files(plain, "gold", "fact").select(pl.col("max.d") - pl.col("min.d")).to_series()
    assert (spans == timedelta(days=DAYS - 1)).all()


def test_replacing_one_date_removes_only_the_files_holding_that_date(tmp_path: Path) -> None:
    lake = _lake(tmp_path, {"gold/fact": ["d", "k"]})
    lake.replace_table("gold", "fact", _dated_rows())
    before = _files(lake, "gold", "fact")
    day = FIRST_DAY + timedelta(days=5)  # rows 10,000-11,999: files 10, 11 and 12 of 20
    holding = before.filter((pl.col("min.d") <= day) & (pl.col("max.d") >= day))
    assert holding.height == 3

    # A file of the first day is gone from storage: the replace never opens it.
    first = before.sort("min.d")["path"][0]
    _remove_from_storage(lake, "gold", "fact", first)
    replaced = _dated_rows().filter(pl.col("d") == day).with_columns(v=-pl.col("v"))
    assert lake.replace_values("gold", "fact", replaced, "d", [day])

    commit = _last_commit(lake, "gold", "fact")
    assert commit["operation"] == "WRITE"
    assert commit["num_removed_files"] == 3
    after = set(_files(lake, "gold", "fact")["path"])
    assert set(before["path"]) - after == set(holding["path"])  # the other 17 untouched
    table = pl.scan_delta(lake.table_uri("gold", "fact")).filter(pl.col("d") == day).collect()
    assert table.height == 2_000
    assert table["v"].max() == -10_000  # the replaced rows


def test_a_merge_of_recent_keys_rewrites_only_the_file_of_that_key_range(tmp_path: Path) -> None:
    lake = _lake(tmp_path, {"silver/orders": ["k"]})
    lake.replace_table("silver", "orders", _dated_rows().drop("d"))
    # Late versions of the 500 newest keys (L0019500-L0019999, all in the last file: rows
    # 19,456-19,999) and 300 new keys after them.
    source = pl.DataFrame({"i": range(ROWS - 500, ROWS + 300)}).select(
        k=pl.format("L{}", pl.col("i").cast(pl.String).str.zfill(7)),
        v=-pl.col("i"),
        gone=pl.lit(False),
    )

    # The file of the oldest keys is gone from storage: the merge never opens it, because it
    # skips the files outside the source's key range before reading (a full scan would fail).
    oldest = _files(lake, "silver", "orders").sort("min.k")["path"][0]
    _remove_from_storage(lake, "silver", "orders", oldest)

    counts = lake.merge_rows("silver", "orders", source, ["k"], "gone")

    assert counts == {"inserted": 300, "updated": 500, "deleted": 0}
    commit = _last_commit(lake, "silver", "orders")
    assert commit["operation"] == "MERGE"
    assert commit["num_target_files_removed"] == 1  # not 20: the other files were skipped
    assert commit["num_target_rows_copied"] == 44  # 544 rows in that file, 500 updated
    assert oldest in set(_files(lake, "silver", "orders")["path"])  # still listed, unread


def test_a_merge_into_a_table_without_the_file_size_property_sets_it(tmp_path: Path) -> None:
    lake = _lake(tmp_path, {})
    uri = lake.table_uri("silver", "payments")
    pl.DataFrame({"k": ["a"], "v": [1]}).write_delta(uri)  # written before the layout existed
    source = pl.DataFrame({"k": ["a", "b"], "v": [2, 3], "gone": [False, False]})

    lake.merge_rows("silver", "payments", source, ["k"], "gone")

    configuration = DeltaTable(uri).metadata().configuration
    assert configuration["delta.targetFileSize"] == str(SMALL_FILES)
    assert pl.read_delta(uri).sort("k").rows() == [("a", 2), ("b", 3)]


def test_rows_lacking_the_leading_clustering_column_are_written_in_arrival_order(
    tmp_path: Path,
) -> None:
    # Layout is speed, not correctness: a reduced frame is still written, sorted only by the
    # leading clustering columns it has.
    lake = _lake(tmp_path, {"gold/kpi": ["date_key", "n"], "gold/other": ["day", "n"]})
    lake.replace_table("gold", "kpi", pl.DataFrame({"n": [3, 1, 2]}))
    lake.replace_table("gold", "other", pl.DataFrame({"day": [2, 1, 1], "v": [9, 8, 7]}))
    assert pl.read_delta(lake.table_uri("gold", "kpi"))["n"].to_list() == [3, 1, 2]
    assert pl.read_delta(lake.table_uri("gold", "other")).rows() == [(1, 8), (1, 7), (2, 9)]


def test_maintenance_z_orders_a_clustered_table_back_into_narrow_ranges(tmp_path: Path) -> None:
    _lake(tmp_path, {}).replace_table("gold", "fact", _dated_rows())  # unsorted: wide files
    lake = _lake(tmp_path, {"gold/fact": ["d"]})

    report = lake.maintain("gold", "fact", retention_hours=168)

    assert report.compaction == "z_order(d)"
    files = _files(lake, "gold", "fact").sort("min.d", "max.d")
    assert files.height > 1
    # Sorted ranges: a file starts no earlier than the previous one ends.
    assert (files["min.d"].slice(1) >= files["max.d"].slice(0, files.height - 1)).all()
    assert pl.read_delta(lake.table_uri("gold", "fact")).height == ROWS
