"""The change data feed of silver and gold tables, and slice replacement by typed values."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable, write_deltalake

from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_changes import CHANGE_FEED, net_changes

FLAG = "_delete"


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def _orders(*rows: tuple[str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "order_date": [date.fromisoformat(r[1]) for r in rows],
            FLAG: [r[2] for r in rows],
        }
    )


def _feed_on(lake: LakeResource, layer: str, table: str) -> bool:
    configuration = DeltaTable(lake.table_uri(layer, table)).metadata().configuration
    return configuration.get(CHANGE_FEED) == "true"


def test_a_merge_shows_old_and_new_images_of_a_moved_row_and_a_deleted_one(
    lake: LakeResource,
) -> None:
    start = _orders(("O1", "2026-10-01", False), ("O2", "2026-10-02", False))
    lake.merge_rows("silver", "orders", start, ["order_id"], FLAG)  # version 0
    late = _orders(("O1", "2026-09-20", False), ("O2", "2026-10-02", True))
    lake.merge_rows("silver", "orders", late, ["order_id"], FLAG)  # version 1

    changes = lake.changes("silver", "orders", 0)

    assert changes is not None
    got = changes.select("order_id", "order_date", "_change_type", "_commit_version").collect()
    assert sorted(got.rows()) == [
        ("O1", date(2026, 9, 20), "update_postimage", 1),
        ("O1", date(2026, 10, 1), "update_preimage", 1),
        ("O2", date(2026, 10, 2), "delete", 1),
    ]


def test_no_change_since_the_latest_version_is_an_empty_frame_with_the_columns(
    lake: LakeResource,
) -> None:
    lake.merge_rows("silver", "orders", _orders(("O1", "2026-10-01", False)), ["order_id"], FLAG)

    changes = lake.changes("silver", "orders", 0, columns=["order_date"])

    assert changes is not None
    frame = changes.collect()
    assert frame.height == 0
    assert frame.columns == ["order_date", "_change_type", "_commit_version"]


def test_silver_and_gold_tables_get_the_feed_bronze_and_quarantine_do_not(
    lake: LakeResource,
) -> None:
    rows = pl.DataFrame({"x": [1]})
    for layer, table in (
        ("silver", "a"),
        ("gold", "b"),
        ("bronze", "c"),
        ("silver", "a_quarantine"),
    ):
        lake.replace_table(layer, table, rows)
    assert [_feed_on(lake, *name) for name in (("silver", "a"), ("gold", "b"))] == [True, True]
    assert not _feed_on(lake, "bronze", "c")
    assert not _feed_on(lake, "silver", "a_quarantine")
    assert lake.changes("bronze", "c", 0) is None


def test_a_table_created_without_the_feed_gets_it_at_its_next_write_and_reads_from_there(
    lake: LakeResource,
) -> None:
    uri = lake.table_uri("silver", "old")
    write_deltalake(uri, pl.DataFrame({"x": [1]}).to_arrow())  # version 0, no feed
    lake.append("silver", "old", pl.DataFrame({"x": [2]}))  # 1: feed on, 2: the append

    assert _feed_on(lake, "silver", "old")
    assert lake.changes("silver", "old", 0) is None  # version 0 had no feed: rebuild
    changes = lake.changes("silver", "old", 1)
    assert changes is not None
    assert changes.select("x", "_change_type").collect().rows() == [(2, "insert")]


def test_a_version_ahead_of_the_table_is_unreadable(lake: LakeResource) -> None:
    lake.replace_table("silver", "a", pl.DataFrame({"x": [1]}))
    assert lake.changes("silver", "a", 5) is None


def test_replace_values_replaces_only_the_listed_dates_in_one_commit(lake: LakeResource) -> None:
    lake.replace_table(
        "gold", "f", pl.DataFrame({"date_key": [1, 1, 2, 3], "k": ["a", "b", "c", "d"]})
    )
    new = pl.DataFrame({"date_key": [2, 2], "k": ["c2", "e"]})

    assert lake.replace_values("gold", "f", new, "date_key", [2, 4])

    assert lake.version("gold", "f") == 1
    got = lake.scan("gold", "f").sort("k").collect()
    assert got.rows() == [(1, "a"), (1, "b"), (2, "c2"), (3, "d"), (2, "e")]


def test_replace_values_with_no_values_commits_nothing(lake: LakeResource) -> None:
    lake.replace_table("gold", "f", pl.DataFrame({"date_key": [1]}))
    empty = pl.DataFrame({"date_key": []}, schema={"date_key": pl.Int64})

    assert not lake.replace_values("gold", "f", empty, "date_key", [])

    assert lake.version("gold", "f") == 0


def test_replace_values_refuses_a_row_outside_the_values(lake: LakeResource) -> None:
    lake.replace_table("gold", "f", pl.DataFrame({"date_key": [1, 2]}))
    with pytest.raises(ValueError, match="1 rows have a date_key outside the 1 values"):
        lake.replace_values("gold", "f", pl.DataFrame({"date_key": [2, 3]}), "date_key", [2])
    assert lake.version("gold", "f") == 0


def test_replace_values_quotes_string_values_safely(lake: LakeResource) -> None:
    lake.replace_table("gold", "d", pl.DataFrame({"id": ["a'b", "c"], "v": [1, 2]}))

    lake.replace_values("gold", "d", pl.DataFrame({"id": ["a'b"], "v": [10]}), "id", ["a'b"])

    assert lake.scan("gold", "d").sort("id").collect().rows() == [("a'b", 10), ("c", 2)]


def test_images_that_cancel_over_the_range_are_left_out() -> None:
    # Worked by hand. O1: deleted and re-inserted equal (an overwrite of its slice) -> nothing.
    # O2: a real update -> both images. O3: inserted at 5, deleted at 6 -> nothing.
    # O4: D lost at 5, E gained at 5 and lost at 6, F gained at 6 -> D lost (5), F gained (6).
    # O5: held twice, both copies deleted -> two lost images.
    feed = pl.DataFrame(
        {
            "order_id": ["O1", "O1", "O2", "O2", "O3", "O3", "O4", "O4", "O4", "O4", "O5", "O5"],
            "value": ["A", "A", "B", "B2", "C", "C", "D", "E", "E", "F", "G", "G"],
            "_change_type": [
                "delete",
                "insert",
                "update_preimage",
                "update_postimage",
                "insert",
                "delete",
                "delete",
                "insert",
                "delete",
                "insert",
                "delete",
                "delete",
            ],
            "_commit_version": [5, 5, 5, 5, 5, 6, 5, 5, 6, 6, 7, 7],
        }
    )

    got = net_changes(feed)

    assert sorted(got.rows()) == [
        ("O2", "B", "update_preimage", 5),
        ("O2", "B2", "update_postimage", 5),
        ("O4", "D", "delete", 5),
        ("O4", "F", "insert", 6),
        ("O5", "G", "delete", 7),
        ("O5", "G", "delete", 7),
    ]


def test_a_slice_replaced_with_equal_rows_shows_only_the_rows_that_differ(
    lake: LakeResource,
) -> None:
    first = pl.DataFrame(
        {"day": [date(2026, 10, 1), date(2026, 10, 1), date(2026, 10, 2)], "amount": [1, 2, 3]}
    )
    lake.replace_table("gold", "facts", first)  # version 0
    again = pl.DataFrame({"day": [date(2026, 10, 1), date(2026, 10, 1)], "amount": [1, 5]})
    lake.replace_values("gold", "facts", again, "day", [date(2026, 10, 1)])  # version 1

    changes = lake.changes("gold", "facts", 0)

    assert changes is not None
    assert sorted(changes.select("amount", "_change_type").collect().rows()) == [
        (2, "delete"),
        (5, "insert"),
    ]


def test_netted_on_some_columns_a_change_elsewhere_cancels(lake: LakeResource) -> None:
    start = pl.DataFrame({"key": [1, 2], "day": [10, 10], "note": ["a", "b"]})
    lake.replace_table("gold", "facts", start)  # version 0
    later = pl.DataFrame({"key": [1, 2], "day": [10, 11], "note": ["changed", "b"]})
    lake.replace_values("gold", "facts", later, "day", [10, 11])  # version 1

    every = lake.changes("gold", "facts", 0, columns=["key", "day"])
    some = lake.changes("gold", "facts", 0, columns=["key", "day"], net_on_columns=True)

    assert every is not None and some is not None
    images = ["key", "day", "_change_type"]
    # Netted on every column, row 1's new note keeps both of its images.
    assert sorted(every.select(images).collect().rows()) == [
        (1, 10, "delete"),
        (1, 10, "insert"),
        (2, 10, "delete"),
        (2, 11, "insert"),
    ]
    # Netted on key and day, only row 2's move is left (and only those columns are read).
    assert some.collect_schema().names() == ["key", "day", "_change_type", "_commit_version"]
    assert sorted(some.select(images).collect().rows()) == [(2, 10, "delete"), (2, 11, "insert")]


def test_a_feed_where_nothing_cancels_is_already_net() -> None:
    feed = pl.DataFrame(
        {
            "order_id": ["O1", "O2", "O2", "O3"],
            "status": ["A", "B", "B2", "C"],
            "_commit_version": [3, 4, 4, 5],
            "_change_type": ["insert", "update_preimage", "update_postimage", "delete"],
        }
    )

    got = net_changes(feed)

    assert got.columns == ["order_id", "status", "_change_type", "_commit_version"]
    assert got.rows() == [
        ("O1", "A", "insert", 3),
        ("O2", "B", "update_preimage", 4),
        ("O2", "B2", "update_postimage", 4),
        ("O3", "C", "delete", 5),
    ]


def test_not_netted_every_image_is_returned_as_written(lake: LakeResource) -> None:
    lake.merge_rows("silver", "orders", _orders(("O1", "2026-10-01", False)), ["order_id"], FLAG)
    # The same row merged again: an update whose images are equal (they cancel when netted).
    lake.merge_rows("silver", "orders", _orders(("O1", "2026-10-01", False)), ["order_id"], FLAG)

    netted = lake.changes("silver", "orders", 0)
    raw = lake.changes("silver", "orders", 0, columns=["order_id"], net=False)

    assert netted is not None and raw is not None
    assert netted.collect().height == 0
    assert sorted(raw.select("order_id", "_change_type").collect().rows()) == [
        ("O1", "update_postimage"),
        ("O1", "update_preimage"),
    ]


def test_a_delete_merged_with_its_key_only_shows_the_deleted_rows_values(
    lake: LakeResource,
) -> None:
    """Silver merges delete by key with the other columns null (transforms/silver/latest.py
    as_deletes): the feed's delete image still holds the row the table had, which gold reads
    (an order's old date)."""
    lake.merge_rows("silver", "orders", _orders(("O1", "2026-10-01", False)), ["order_id"], FLAG)
    key_only = pl.DataFrame(
        {"order_id": ["O1"], "order_date": [None], FLAG: [True]},
        schema={"order_id": pl.String, "order_date": pl.Date, FLAG: pl.Boolean},
    )
    lake.merge_rows("silver", "orders", key_only, ["order_id"], FLAG)

    changes = lake.changes("silver", "orders", 0)

    assert changes is not None
    got = changes.select("order_id", "order_date", "_change_type").collect()
    assert got.rows() == [("O1", date(2026, 10, 1), "delete")]
    assert lake.scan("silver", "orders").collect().is_empty()
