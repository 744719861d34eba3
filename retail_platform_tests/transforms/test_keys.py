from datetime import date

import polars as pl
import xxhash

from retail_platform.transforms.keys import date_key, stable_key


def xxh64_int64(text: str) -> int:
    """The expected key from the reference XXH64 binding (xxhash), independent of the code
    under test: the unsigned digest with seed 42 reinterpreted as a signed 64-bit integer."""
    digest = xxhash.xxh64_intdigest(text.encode("utf-8"), seed=42)
    return digest - (1 << 64) if digest >= 1 << 63 else digest


# Literals verified once with PySpark 4.3.0's SQL `xxhash64(concat_ws(chr(31), ...))`:
# 'C1' -> -3220996657417140566, ('O1', CAST(1 AS STRING)) -> -5619583749726514041,
# ('P7', 'INV9', 'SKU-3') -> -3436488117524610911. The bench's equality check keeps proving
# it (its PySpark peer computes keys with Spark's native xxhash64).
SPARK_C1 = -3220996657417140566
SPARK_O1_1 = -5619583749726514041
SPARK_P7_INV9_SKU3 = -3436488117524610911


def test_stable_key_is_xxh64_seed_42_of_the_utf8_text_as_signed_int64() -> None:
    frame = pl.LazyFrame({"customer_id": ["C1", "C2", "é", ""]})

    keys = frame.select(stable_key("customer_id").alias("key")).collect()

    assert keys.schema["key"] == pl.Int64
    assert keys["key"].to_list() == [xxh64_int64(text) for text in ["C1", "C2", "é", ""]]
    # Pinned literal (Spark's): a change of algorithm would silently re-key every fact.
    assert keys["key"][0] == SPARK_C1


def test_a_digest_above_2_63_becomes_a_negative_key() -> None:
    # xxh64("C1", 42) = 15225747416292411050 > 2^63: two's complement, not an overflow.
    assert xxhash.xxh64_intdigest(b"C1", seed=42) == 15225747416292411050
    frame = pl.LazyFrame({"customer_id": ["C1"]})

    key = frame.select(stable_key("customer_id")).collect().item()

    assert key == 15225747416292411050 - 2**64


def test_repeated_values_and_nulls_keep_their_places() -> None:
    frame = pl.LazyFrame({"customer_id": ["C1", "C2", None] * 4})

    keys = frame.select(stable_key("customer_id")).collect().to_series().to_list()

    assert keys == [SPARK_C1, xxh64_int64("C2"), None] * 4


def test_composite_key_joins_values_with_the_unit_separator() -> None:
    frame = pl.LazyFrame(
        {"order_id": ["O1", "O1"], "line_number": pl.Series([1, 12], dtype=pl.Int32)}
    )

    keys = frame.select(stable_key("order_id", "line_number")).collect().to_series().to_list()

    # Integers as plain decimal digits, after the 0x1F separator.
    assert keys == [SPARK_O1_1, xxh64_int64("O1\x1f12")]


def test_three_part_key_matches_spark() -> None:
    frame = pl.LazyFrame({"partner_id": ["P7"], "invoice_no": ["INV9"], "stock_code": ["SKU-3"]})

    key = frame.select(stable_key("partner_id", "invoice_no", "stock_code")).collect().item()

    assert key == SPARK_P7_INV9_SKU3


def test_composite_key_does_not_confuse_shifted_boundaries() -> None:
    frame = pl.LazyFrame({"a": ["ab", "a"], "b": ["c", "bc"]})

    keys = frame.select(stable_key("a", "b")).collect().to_series().to_list()

    assert keys == [xxh64_int64("ab\x1fc"), xxh64_int64("a\x1fbc")]
    assert keys[0] != keys[1]


def test_null_component_gives_null_key() -> None:
    frame = pl.LazyFrame({"a": ["x", None, "x"], "b": [None, "y", "y"]})

    keys = frame.select(stable_key("a", "b")).collect().to_series().to_list()

    assert keys == [None, None, xxh64_int64("x\x1fy")]


def test_stable_key_names_the_key_after_its_columns() -> None:
    frame = pl.LazyFrame({"order_id": ["O1"], "line_number": [1]})

    assert frame.select(stable_key("order_id", "line_number")).collect_schema().names() == [
        "order_id_line_number_key"
    ]


def test_date_key_is_yyyymmdd_int32() -> None:
    frame = pl.LazyFrame({"day": [date(2026, 12, 31), date(2027, 1, 1), None]})

    keys = frame.select(date_key("day").alias("key")).collect()

    assert keys.schema["key"] == pl.Int32
    assert keys["key"].to_list() == [20261231, 20270101, None]
