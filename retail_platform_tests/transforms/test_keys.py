import hashlib
from datetime import date

import polars as pl

from retail_platform.transforms.keys import date_key, stable_key


def blake2b_int64(text: str) -> int:
    """The expected key, computed independently of the code under test."""
    return int.from_bytes(hashlib.blake2b(text.encode()).digest()[:8], "big", signed=True)


def test_stable_key_is_the_first_8_bytes_of_blake2b_as_signed_big_endian_int64() -> None:
    frame = pl.LazyFrame({"customer_id": ["C1", "C2"]})

    keys = frame.select(stable_key("customer_id").alias("key")).collect()

    assert keys.schema["key"] == pl.Int64
    assert keys["key"].to_list() == [blake2b_int64("C1"), blake2b_int64("C2")]
    # Pinned literal: a change of algorithm would silently re-key every fact.
    assert keys["key"][0] == -563891096492079116


def test_repeated_values_get_the_same_keys_as_distinct_ones() -> None:
    # Mostly repeated values are hashed once per distinct value: the keys must not change.
    frame = pl.LazyFrame({"customer_id": ["C1", "C2", None] * 4})

    keys = frame.select(stable_key("customer_id")).collect().to_series().to_list()

    assert keys == [-563891096492079116, blake2b_int64("C2"), None] * 4


def test_distinct_values_with_nulls_keep_their_places() -> None:
    # Mostly distinct values are hashed one by one: a null stays a null in its own row.
    frame = pl.LazyFrame({"customer_id": ["C1", None, "C2", "C3"]})

    keys = frame.select(stable_key("customer_id")).collect().to_series().to_list()

    assert keys == [-563891096492079116, None, blake2b_int64("C2"), blake2b_int64("C3")]


def test_composite_key_joins_values_with_the_unit_separator() -> None:
    frame = pl.LazyFrame({"order_id": ["O1"], "line_number": pl.Series([1], dtype=pl.Int32)})

    key = frame.select(stable_key("order_id", "line_number")).collect().item()

    assert key == blake2b_int64("O1\x1f1")


def test_composite_key_does_not_confuse_shifted_boundaries() -> None:
    frame = pl.LazyFrame({"a": ["ab", "a"], "b": ["c", "bc"]})

    keys = frame.select(stable_key("a", "b")).collect().to_series().to_list()

    assert keys[0] != keys[1]


def test_null_component_gives_null_key() -> None:
    frame = pl.LazyFrame({"a": ["x", None], "b": [None, "y"]})

    keys = frame.select(stable_key("a", "b")).collect().to_series().to_list()

    assert keys == [None, None]


def test_date_key_is_yyyymmdd_int32() -> None:
    frame = pl.LazyFrame({"day": [date(2026, 12, 31), date(2027, 1, 1), None]})

    keys = frame.select(date_key("day").alias("key")).collect()

    assert keys.schema["key"] == pl.Int32
    assert keys["key"].to_list() == [20261231, 20270101, None]
