"""Merge preparation: one latest version per key, vanished child rows are deleted."""

from datetime import UTC, datetime

import polars as pl

from retail_platform.transforms.silver.latest import (
    DELETE_FLAG,
    child_merge_source,
    latest_versions,
)

MON, TUE, WED = (datetime(2026, 10, day, tzinfo=UTC) for day in (5, 6, 7))


def versions(*rows: tuple[str, datetime, str]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows, schema={"order_id": pl.String, "updated_at": pl.Datetime("us", "UTC"),
                      "status": pl.String}, orient="row"
    )  # fmt: skip


def lines(*rows: tuple[str, int, str]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows, schema={"order_id": pl.String, "line_number": pl.Int32, "product_id": pl.String},
        orient="row",
    )  # fmt: skip


def test_children_of_a_new_parent_version_replace_the_old_ones() -> None:
    current = lines(("O1", 1, "P1"), ("O1", 2, "P2"), ("O1", 3, "P3"), ("O2", 1, "P9"))
    # O1's new version has two lines, the second now P5; O2 is not part of this merge.
    new = lines(("O1", 1, "P1"), ("O1", 2, "P5"))

    source = child_merge_source(new, current, ["order_id"], ["order_id", "line_number"])

    assert source.sort("order_id", "line_number").collect().rows() == [
        ("O1", 1, "P1", False),
        ("O1", 2, "P5", False),
        ("O1", 3, None, True),  # gone from the new version: deleted by the merge (key only)
    ]
    assert source.collect_schema().names()[-1] == DELETE_FLAG


def test_without_a_child_table_the_new_children_are_all_inserts() -> None:
    source = child_merge_source(
        lines(("O1", 1, "P1")), None, ["order_id"], ["order_id", "line_number"]
    )

    assert source.collect().rows() == [("O1", 1, "P1", False)]


def test_latest_versions_breaks_ties_only_among_rows_of_one_key_and_version() -> None:
    frame = pl.LazyFrame(
        {
            "k": ["a", "a", "b", "b", "b", "c", "c", "d"],
            "v": [1, 2, 5, 5, 4, None, None, 3],
            "x": ["z", "m", "p", "q", "zz", "n", None, "o"],
            "y": [1, 2, 9, 1, 1, 1, 2, 1],
        }
    )

    def winners(rows: pl.LazyFrame) -> list[tuple[object, ...]]:
        return latest_versions(rows, ["k"], "v").sort("k").collect().rows()

    expected = [
        ("a", 2, "m", 2),  # the higher version, whatever its content
        ("b", 5, "q", 1),  # version 5 twice: 'q' > 'p' decides before y
        ("c", None, "n", 1),  # only null versions: a null x sorts last
        ("d", 3, "o", 1),
    ]
    assert winners(frame) == expected
    assert winners(frame.reverse()) == expected
