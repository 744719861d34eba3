"""A full silver rebuild read in chunks equals one that validates all of bronze at once.

The chunk size only bounds memory: versions of one key spread over chunks, versions tied on
their version column in different chunks, duplicates and malformed rows give the same silver,
child and quarantine rows whatever the chunk size (one row per chunk, a few, or all).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.assets.silver.orders import ORDER_LINES, ORDERS
from retail_platform.assets.silver.rebuild import bronze_chunks, rebuild
from retail_platform.contracts import bronze
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform_tests.assets.silver import test_incremental as orders_feed
from retail_platform_tests.assets.silver import test_incremental_files as files_feed

PII = PiiMaskingResource(hmac_secret="rebuild-test")
ALL_AT_ONCE = 1_000_000
ORDER_TABLES = ("orders", "order_lines", "orders_quarantine")


def _order(order_id: str, hour: int, status: str, malformed: str | None = None) -> dict[str, Any]:
    version = {"order_id": order_id, "hour": hour, "status": status, "quantity": 1, "lines": 2,
               "malformed": malformed}  # fmt: skip
    return orders_feed._row(version, date(2026, 10, 1))


def _bronze_orders(lake: LakeResource) -> None:
    """Three batches, appended in this order (hand-worked winners in the test below)."""
    batches = [
        # O1's 09:00 version as shipped; O2's newest version is malformed; O4 only malformed;
        # O5's 09:00 version as paid.
        [_order("O1", 9, "shipped"), _order("O2", 9, "paid", "created_at"),
         _order("O4", 9, "paid", "lines"), _order("O5", 9, "paid")],
        # O1 older; O3 twice, an exact duplicate; O2's valid (older) version.
        [_order("O1", 8, "placed"), _order("O3", 8, "paid"), _order("O3", 8, "paid"),
         _order("O2", 8, "placed")],
        # O1 at 09:00 again, as paid: tied with batch 1's shipped version; O5 the other way
        # round, so that no pick by position (first or last read) passes for both.
        [_order("O1", 9, "paid"), _order("O5", 9, "shipped")],
    ]  # fmt: skip
    for number, rows in enumerate(batches, start=1):
        lake.append("bronze", "orders", orders_feed._frame(rows, number, f"page-{number}"))


def _rows(lake: LakeResource, table: str) -> pl.DataFrame:
    frame = lake.scan("silver", table).collect()
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("chunk_rows", [1, 2, ALL_AT_ONCE])
def test_a_rebuild_in_chunks_keeps_the_latest_valid_version_of_each_order(
    tmp_path: Path, chunk_rows: int
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    _bronze_orders(lake)

    refreshed = rebuild(lake, ORDERS, PII, lake.version("bronze", "orders"), ORDER_LINES,
                        chunk_rows)  # fmt: skip

    # O1: 09:00 tied between shipped and paid; the tie-break takes the higher status text
    # (transforms/silver/latest.py), 'shipped'. O2: the malformed 09:00 version does not
    # compete, the valid 08:00 one wins. O3: the duplicate collapses. O4: nothing valid.
    # O5: tied like O1, 'shipped' again.
    orders = _rows(lake, "orders").select(
        "order_id", "status", pl.col("updated_at").dt.hour().alias("hour")
    )
    assert orders.rows() == [
        ("O1", "shipped", 9), ("O2", "placed", 8), ("O3", "paid", 8), ("O5", "shipped", 9),
    ]  # fmt: skip
    assert _rows(lake, "order_lines").select("order_id", "line_number", "status").rows() == [
        ("O1", 1, "shipped"), ("O1", 2, "shipped"), ("O2", 1, "placed"), ("O2", 2, "placed"),
        ("O3", 1, "paid"), ("O3", 2, "paid"), ("O5", 1, "shipped"), ("O5", 2, "shipped"),
    ]  # fmt: skip
    quarantined = _rows(lake, "orders_quarantine").get_column("order_id").to_list()
    assert quarantined == ["O2", "O4"]
    assert refreshed.counts == {
        "rows_in": 10,
        "rows_valid": 8,
        "rows_quarantined": 2,
        "distinct_keys": 4,
        "rows_latest": 4,
        "versions_superseded": 4,
    }
    assert refreshed.quarantine_rows == 2
    assert refreshed.written["bronze_chunks"] == -(-10 // chunk_rows)
    assert refreshed.children_written == {"rows_merged": 8, "rebuilt": True}
    # One commit per table, whatever the number of chunks.
    assert {table: lake.version("silver", table) for table in ORDER_TABLES} == dict.fromkeys(
        ORDER_TABLES, 0
    )


def test_an_empty_bronze_rebuilds_empty_tables_in_the_contract(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("bronze", "orders", orders_feed._frame([], 0, "none"))

    refreshed = rebuild(lake, ORDERS, PII, 0, ORDER_LINES, chunk_rows=1)

    assert refreshed.counts["rows_in"] == 0
    for contract in (ORDERS.silver, ORDER_LINES.contract):
        scanned = lake.scan("silver", contract.name)
        assert scanned.collect_schema() == contract.polars_schema
        assert scanned.collect().is_empty()


def _equal_whatever_the_chunks(
    root: Path, bronze_folder: str, rebuild_with: Any, tables: tuple[str, ...], chunk_rows: int
) -> None:
    lake = LakeResource(root=str(root / bronze_folder))
    rebuild_with(lake, ALL_AT_ONCE)
    whole = {table: _rows(lake, table) for table in tables}
    rebuild_with(lake, chunk_rows)
    for table in tables:
        assert_frame_equal(_rows(lake, table), whole[table])


PROPERTY = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@PROPERTY
@given(
    batches=st.lists(st.lists(orders_feed.versions, min_size=1, max_size=4), min_size=1,
                     max_size=4),
    chunk_rows=st.integers(1, 3),
)  # fmt: skip
def test_orders_rebuilt_in_any_chunk_size_equal_one_pass(
    batches: list[list[dict[str, Any]]], chunk_rows: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lake = LakeResource(root=str(Path(folder) / "lake"))
        for number, versions in enumerate(batches, start=1):
            day = date(2026, 10, number)
            rows = [orders_feed._row(version, day) for version in versions]
            lake.append("bronze", "orders", orders_feed._frame(rows, number, f"page-{number}"))

        def rebuild_with(lake: LakeResource, rows: int) -> None:
            version = lake.version("bronze", "orders")
            rebuild(lake, ORDERS, PII, version, ORDER_LINES, rows)

        _equal_whatever_the_chunks(Path(folder), "lake", rebuild_with, ORDER_TABLES, chunk_rows)


@PROPERTY
@given(data=st.data(), chunk_rows=st.integers(1, 3))
def test_partner_sales_rebuilt_in_chunks_of_whole_files_equal_one_pass(
    data: Any, chunk_rows: int
) -> None:
    """Partner sales are validated per file: a chunk holds whole files, so a file's date
    formats are still chosen on all its dates."""
    history = data.draw(files_feed._histories("partner_sales"), label="history")
    entity = files_feed.SALES
    with tempfile.TemporaryDirectory() as folder:
        lake = LakeResource(root=str(Path(folder) / "lake"))
        empty = files_feed.bronze_frame("partner_sales", {}, "batch-0", 0)[0]
        lake.replace_table("bronze", bronze.PARTNER_SALES.name, empty)
        for number, delivery in enumerate(history, start=1):
            files_feed.deliver(lake, "partner_sales", number, delivery)

        def rebuild_with(lake: LakeResource, rows: int) -> None:
            version = lake.version("bronze", bronze.PARTNER_SALES.name)
            rebuild(lake, entity, PII, version, None, rows)

        tables = ("partner_sales", "partner_sales_quarantine")
        _equal_whatever_the_chunks(Path(folder), "lake", rebuild_with, tables, chunk_rows)


def test_chunks_of_groups_never_split_a_group(tmp_path: Path) -> None:
    frame = pl.DataFrame({"file": ["a", "a", "b", "b", "b", "c", None, None, "d"]})

    chunks = list(bronze_chunks(frame.with_row_index("row").lazy(), 3, "file", tmp_path))

    # a (2 rows) is short of 3: b joins it; c (1) and the null group (2) make 3; d is left.
    held = [chunk.get_column("row").to_list() for chunk in chunks]
    assert held == [[0, 1, 2, 3, 4], [5, 6, 7], [8]]


def test_interleaved_groups_are_bucketed_whole_in_bounded_chunks(tmp_path: Path) -> None:
    frame = pl.DataFrame({"file": ["a", "b", "a", "c", "c", "b", "d"]})

    chunks = list(bronze_chunks(frame.with_row_index("row").lazy(), 1, "file", tmp_path))

    # a spans rows 0-2 and b rows 1-5: cut by position, a, b and c would be one chunk of six
    # rows (over twice the one asked for). Bucketed, each group is whole in a chunk of its own,
    # in the order of its first row, rows in bronze order; the spill files are gone after.
    held = [chunk.get_column("row").to_list() for chunk in chunks]
    assert held == [[0, 2], [1, 5], [3, 4], [6]]
    assert [chunk.columns for chunk in chunks] == [["row", "file"]] * 4
    assert not list(tmp_path.rglob("*.ipc"))


def test_buckets_gather_groups_until_they_hold_the_rows_asked_for(tmp_path: Path) -> None:
    files = ["a", "b", "c", "d", "a", "b", "c", "d", None]
    frame = pl.DataFrame({"file": files})

    chunks = list(bronze_chunks(frame.with_row_index("row").lazy(), 3, "file", tmp_path))

    # By position a..d overlap (rows 0-7: one chunk of 8, over 2 x 3): bucketed. Groups by
    # first row: a (2 rows), b (2), c (2), d (2), null (1); rows before each: 0, 2, 4, 6, 8
    # -> buckets 0, 0, 1, 2, 2 (a group opens a bucket once 3 rows are held).
    held = [chunk.get_column("row").to_list() for chunk in chunks]
    assert held == [[0, 1, 4, 5], [2, 6], [3, 7, 8]]


def test_chunks_of_rows_cover_the_table_once_in_order(tmp_path: Path) -> None:
    frame = pl.DataFrame({"row": list(range(7))})

    chunks = list(bronze_chunks(frame.lazy(), 3, None, tmp_path))

    assert [chunk.get_column("row").to_list() for chunk in chunks] == [
        [0, 1, 2], [3, 4, 5], [6]]  # fmt: skip
    empty = list(bronze_chunks(frame.head(0).lazy(), 3, None, tmp_path))
    assert [chunk.height for chunk in empty] == [0]
