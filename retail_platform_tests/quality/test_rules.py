"""Data quality rules: each returns the offending rows, so an empty result means the rule holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.quality.rules import (
    amount_mismatches,
    duplicate_keys,
    markdown_table,
    missing_days,
    missing_partitions,
    null_counts,
    null_keys,
    orphans,
    totals_mismatches,
)


def test_null_keys_returns_the_rows_whose_key_is_null() -> None:
    frame = pl.LazyFrame({"customer_key": [1, None, 3, None], "city": ["a", "b", "c", "d"]})

    result = null_keys(frame, ["customer_key"]).collect()

    assert result.get_column("city").to_list() == ["b", "d"]


def test_null_keys_is_empty_when_every_key_is_present() -> None:
    frame = pl.LazyFrame({"customer_key": [1, 2, 3]})

    assert null_keys(frame, ["customer_key"]).collect().height == 0


def test_null_keys_flags_a_composite_key_with_any_part_null() -> None:
    frame = pl.LazyFrame(
        {
            "order_id": ["O1", "O1", None, None],
            "line_number": [1, None, 1, None],
            "tag": ["whole", "no line", "no order", "neither"],
        }
    )

    result = null_keys(frame, ["order_id", "line_number"]).collect()

    assert result.get_column("tag").to_list() == ["no line", "no order", "neither"]


def test_duplicate_keys_gives_one_row_per_repeated_key_with_its_occurrences() -> None:
    frame = pl.LazyFrame({"product_key": [7, 3, 7, 5, 3, 7], "name": list("abcdef")})

    result = duplicate_keys(frame, ["product_key"]).collect()

    assert result.columns == ["product_key", "occurrences"]
    assert result.rows() == [(3, 2), (7, 3)]


def test_duplicate_keys_is_empty_when_keys_are_unique() -> None:
    frame = pl.LazyFrame({"product_key": [1, 2, 3]})

    assert duplicate_keys(frame, ["product_key"]).collect().height == 0


def test_duplicate_keys_compares_composite_keys_as_a_whole() -> None:
    frame = pl.LazyFrame(
        {
            "order_id": ["O1", "O1", "O2", "O1", "O2"],
            "line_number": [1, 2, 1, 1, 2],
        }
    )

    result = duplicate_keys(frame, ["order_id", "line_number"]).collect()

    # ("O1", 1) repeats; ("O1", 2), ("O2", 1) and ("O2", 2) share a part but not the whole key.
    assert result.rows() == [("O1", 1, 2)]


def test_duplicate_keys_counts_a_repeated_null_key_once() -> None:
    frame = pl.LazyFrame({"customer_key": [None, 1, None]}, schema={"customer_key": pl.Int64})

    result = duplicate_keys(frame, ["customer_key"]).collect()

    assert result.rows() == [(None, 2)]


def test_orphans_are_the_fact_rows_whose_key_is_missing_from_the_dimension() -> None:
    fact = pl.LazyFrame({"line": [1, 2, 3, 4], "customer_key": [10, 99, 20, 98]})
    dimension = pl.LazyFrame({"customer_key": [10, 20, 30]})

    result = orphans(fact, "customer_key", dimension, "customer_key").collect()

    assert sorted(result.get_column("line").to_list()) == [2, 4]
    assert result.columns == ["line", "customer_key"]


def test_orphans_match_a_differently_named_primary_key() -> None:
    fact = pl.LazyFrame({"line": [1, 2], "date_key": [20261001, 20261002]})
    dimension = pl.LazyFrame({"key": [20261001], "date": ["2026-10-01"]})

    result = orphans(fact, "date_key", dimension, "key").collect()

    assert result.get_column("line").to_list() == [2]


def test_a_null_foreign_key_counts_as_an_orphan() -> None:
    fact = pl.LazyFrame({"line": [1, 2], "customer_key": [10, None]})
    dimension = pl.LazyFrame({"customer_key": [10, None]}, schema={"customer_key": pl.Int64})

    result = orphans(fact, "customer_key", dimension, "customer_key").collect()

    assert result.get_column("line").to_list() == [2]


def test_every_fact_row_with_the_same_missing_key_is_an_orphan() -> None:
    fact = pl.LazyFrame({"line": [1, 2, 3], "customer_key": [99, 99, 10]})
    dimension = pl.LazyFrame({"customer_key": [10, 10]})

    result = orphans(fact, "customer_key", dimension, "customer_key").collect()

    assert sorted(result.get_column("line").to_list()) == [1, 2]


def test_no_orphans_when_every_key_resolves() -> None:
    fact = pl.LazyFrame({"customer_key": [10, 20, 10]})
    dimension = pl.LazyFrame({"customer_key": [10, 20]})

    assert orphans(fact, "customer_key", dimension, "customer_key").collect().height == 0


def test_null_counts_lists_only_columns_with_nulls() -> None:
    frame = pl.LazyFrame({"a": [1, None, None], "b": ["x", "y", "z"], "c": [None, 2, 3]})

    assert null_counts(frame, ["a", "b", "c"]) == {"a": 2, "c": 1}
    assert null_counts(frame, []) == {}


def test_amount_mismatches_allows_a_cent_and_flags_nulls() -> None:
    frame = pl.LazyFrame(
        {
            "line": [1, 2, 3, 4],
            "amount": [Decimal("10.00"), Decimal("10.01"), Decimal("10.02"), None],
            "expected": [Decimal("10.00")] * 4,
        },
        schema_overrides={"amount": pl.Decimal(18, 2), "expected": pl.Decimal(18, 2)},
    )

    wrong = amount_mismatches(frame, "amount", pl.col("expected")).collect()

    assert wrong.get_column("line").to_list() == [3, 4]


def test_totals_mismatches_compares_group_sums_and_counts_a_missing_side_as_zero() -> None:
    left = pl.LazyFrame(
        {"day": [1, 1, 2, 3], "value": [Decimal("5"), Decimal("5"), Decimal("7"), Decimal("1")]}
    )
    right = pl.LazyFrame(
        {"day": [1, 2, 4], "value": [Decimal("10"), Decimal("7.01"), Decimal("2")]}
    )

    mismatches = totals_mismatches(left, right, ["day"], "value").collect()

    assert mismatches.rows() == [
        (2, Decimal("7.00"), Decimal("7.01")),
        (3, Decimal("1.00"), Decimal("0.00")),
        (4, Decimal("0.00"), Decimal("2.00")),
    ]


def test_missing_days_and_missing_partitions_find_the_gaps() -> None:
    days = pl.LazyFrame({"d": [date(2026, 10, 5), date(2026, 10, 1), date(2026, 10, 3)]})

    assert missing_days(days, "d") == [date(2026, 10, 2), date(2026, 10, 4)]
    assert missing_days(days.clear(), "d") == []
    assert missing_partitions(["2026-10-02", "2026-09-30"]) == ["2026-10-01"]
    assert missing_partitions([]) == []


def test_markdown_table_shows_the_first_rows() -> None:
    frame = pl.DataFrame({"k": [1, 2, 3], "v": ["a", "b", "c"]})

    assert markdown_table(frame, limit=2) == "| k | v |\n|---|---|\n| 1 | a |\n| 2 | b |"
    assert markdown_table(frame.clear()) == "none"
