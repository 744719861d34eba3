"""Affected keys, the rows of those keys, and the merge source of an incremental silver run."""

from datetime import date

import polars as pl

from retail_platform.transforms.silver.incremental import (
    children_of,
    cleaned_keys,
    merge_source,
    rows_of_keys,
)
from retail_platform.transforms.silver.validation import clean_text, parse_date


def test_keys_are_read_as_validation_reads_them() -> None:
    bronze = pl.LazyFrame({"order_id": [" O1", "O1", None, "  ", "O2 "]})

    keys = cleaned_keys(bronze, ["order_id"]).collect().sort("order_id")

    assert keys.get_column("order_id").to_list() == ["O1", "O2"]


def test_every_version_of_an_affected_key_is_read_whatever_its_padding() -> None:
    bronze = pl.LazyFrame({"order_id": ["O1", " O1", "O2", "O3"], "v": [1, 2, 3, 4]})

    found = rows_of_keys(bronze, pl.DataFrame({"order_id": ["O1", "O3"]}), ["order_id"])

    assert found.collect().sort("v").rows() == [("O1", 1), (" O1", 2), ("O3", 4)]


def test_a_composite_key_matches_on_every_column() -> None:
    bronze = pl.LazyFrame({"a": ["1", "1 ", "2"], "b": ["x", "y", "x"], "v": [1, 2, 3]})

    found = rows_of_keys(bronze, pl.DataFrame({"a": ["1"], "b": ["y"]}), ["a", "b"])

    assert found.collect().rows() == [("1 ", "y", 2)]


def test_the_merge_source_upserts_recomputed_rows_and_deletes_keys_left_without_one() -> None:
    current = pl.LazyFrame({"order_id": ["O1", "O2", "O3"], "status": ["paid", "paid", "paid"]})
    candidate = pl.LazyFrame({"order_id": ["O1"], "status": ["shipped"]})
    affected = pl.LazyFrame({"order_id": ["O1", "O2"]})  # O3 is not affected: untouched

    source = merge_source(candidate, current, affected, ["order_id"]).collect()

    assert source.sort("order_id").rows() == [("O1", "shipped", False), ("O2", "paid", True)]


def test_children_of_deleted_parents_are_flagged_for_deletion() -> None:
    lines = pl.LazyFrame({"order_id": ["O1", "O1", "O2"], "line_number": [1, 2, 1]})

    flagged = children_of(lines, pl.LazyFrame({"order_id": ["O1"]}), ["order_id"]).collect()

    assert flagged.rows() == [("O1", 1, True), ("O1", 2, True)]


def test_a_composite_key_with_readers_matches_parsed_and_upper_cased_values() -> None:
    readers = {"day": parse_date, "code": lambda text: clean_text(text).str.to_uppercase()}
    bronze = pl.LazyFrame(
        {"day": [" 2026-10-01", "2026-10-01", "2026-10-02", "bad"],
         "code": ["a1", "A1 ", "a1", "a1"], "v": [1, 2, 3, 4]}
    )  # fmt: skip

    keys = cleaned_keys(bronze.filter(pl.col("v") == 1), ["day", "code"], readers).collect()
    found = rows_of_keys(bronze, keys, ["day", "code"], readers).collect()

    assert keys.rows() == [(date(2026, 10, 1), "A1")]
    assert found.sort("v").get_column("v").to_list() == [1, 2]
