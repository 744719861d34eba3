"""The Delta lake resource: whole-table replace, and partition replace that cannot widen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from retail_platform.resources.lake import LakeResource


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def _day_rows(day: date, ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"order_id": ids, "_partition_date": [day] * len(ids)})


def test_replace_date_window_replaces_only_that_window(lake: LakeResource) -> None:
    oct1, oct2, oct3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
    lake.replace_date_window("bronze", "orders", _day_rows(oct1, ["a", "b"]), oct1, oct2)
    lake.replace_date_window("bronze", "orders", _day_rows(oct2, ["c"]), oct2, oct3)

    # Re-running Oct 1 with different rows replaces Oct 1 and leaves Oct 2 alone.
    lake.replace_date_window("bronze", "orders", _day_rows(oct1, ["a2"]), oct1, oct2)

    result = lake.scan("bronze", "orders").sort("order_id").collect()
    assert result.get_column("order_id").to_list() == ["a2", "c"]


def test_rerunning_the_same_window_is_idempotent(lake: LakeResource) -> None:
    oct1, oct2 = date(2026, 10, 1), date(2026, 10, 2)
    for _ in range(3):
        lake.replace_date_window("bronze", "orders", _day_rows(oct1, ["a", "b"]), oct1, oct2)
    assert lake.scan("bronze", "orders").collect().height == 2


def test_rows_outside_the_window_are_refused_and_nothing_is_written(lake: LakeResource) -> None:
    oct1, oct2, oct3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
    lake.replace_date_window("bronze", "orders", _day_rows(oct2, ["kept"]), oct2, oct3)
    stray = pl.concat([_day_rows(oct1, ["a"]), _day_rows(oct2, ["would-widen"])])

    with pytest.raises(ValueError, match=r"bronze\.orders: 1 rows fall outside"):
        lake.replace_date_window("bronze", "orders", stray, oct1, oct2)

    assert lake.scan("bronze", "orders").collect().get_column("order_id").to_list() == ["kept"]


def test_empty_partition_clears_its_rows_only(lake: LakeResource) -> None:
    oct1, oct2, oct3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
    lake.replace_date_window("bronze", "orders", _day_rows(oct1, ["a"]), oct1, oct2)
    lake.replace_date_window("bronze", "orders", _day_rows(oct2, ["b"]), oct2, oct3)
    lake.replace_date_window("bronze", "orders", _day_rows(oct1, []), oct1, oct2)
    assert lake.scan("bronze", "orders").collect().get_column("order_id").to_list() == ["b"]


def test_replace_table_overwrites_schema_and_rows(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_x", pl.DataFrame({"a": [1, 2]}))
    lake.replace_table("gold", "dim_x", pl.DataFrame({"a": [3], "b": ["new column"]}))
    assert lake.scan("gold", "dim_x").collect().to_dicts() == [{"a": 3, "b": "new column"}]


def test_scanning_a_missing_table_names_it(lake: LakeResource) -> None:
    with pytest.raises(Exception, match=r"silver\.orders does not exist yet"):
        lake.scan("silver", "orders")


# --- keyed replace (one S3 object's rows), append, upsert ------------------------------------


def _object_rows(key: str, values: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"_source_key": [key] * len(values), "value": values})


def _rows(lake: LakeResource) -> list[tuple[str, str]]:
    return lake.scan("bronze", "sales").sort("_source_key", "value").collect().rows()


def test_replace_keys_replaces_those_keys_rows_and_nothing_else(lake: LakeResource) -> None:
    both = pl.concat(
        [_object_rows("s3://b/a.csv", ["1", "2"]), _object_rows("s3://b/b.csv", ["3"])]
    )
    lake.replace_keys("bronze", "sales", both, "_source_key", ["s3://b/a.csv", "s3://b/b.csv"])

    lake.replace_keys(
        "bronze", "sales", _object_rows("s3://b/a.csv", ["9"]), "_source_key", ["s3://b/a.csv"]
    )

    assert _rows(lake) == [("s3://b/a.csv", "9"), ("s3://b/b.csv", "3")]


@pytest.mark.parametrize(
    "hostile_key",
    [
        "s3://b/x' OR '1'='1",  # would widen to every row if the literal were not quoted
        "s3://b/%",  # would match every key under LIKE
        "s3://b/a.csv.gz",  # shares a prefix with a.csv
    ],
)
def test_a_key_can_never_widen_the_predicate(lake: LakeResource, hostile_key: str) -> None:
    lake.replace_keys(
        "bronze",
        "sales",
        pl.concat([_object_rows("s3://b/a.csv", ["1"]), _object_rows("s3://b/b.csv", ["2"])]),
        "_source_key",
        ["s3://b/a.csv", "s3://b/b.csv"],
    )

    lake.replace_keys(
        "bronze", "sales", _object_rows(hostile_key, ["x"]), "_source_key", [hostile_key]
    )
    lake.replace_keys(
        "bronze", "sales", _object_rows(hostile_key, ["y"]), "_source_key", [hostile_key]
    )

    assert _rows(lake) == sorted([("s3://b/a.csv", "1"), ("s3://b/b.csv", "2"), (hostile_key, "y")])


def test_replace_keys_refuses_no_keys_and_rows_of_other_keys(lake: LakeResource) -> None:
    lake.replace_keys("bronze", "sales", _object_rows("k1", ["1"]), "_source_key", ["k1"])

    with pytest.raises(ValueError, match="no keys to replace; refusing a table-wide write"):
        lake.replace_keys("bronze", "sales", _object_rows("k1", []), "_source_key", [])
    with pytest.raises(ValueError, match=r"1 rows have a _source_key outside the 1 values"):
        lake.replace_keys("bronze", "sales", _object_rows("k2", ["2"]), "_source_key", ["k1"])

    assert _rows(lake) == [("k1", "1")]


def test_replace_keys_with_no_rows_clears_that_key_only(lake: LakeResource) -> None:
    rows = pl.concat([_object_rows("k1", ["1"]), _object_rows("k2", ["2"])])
    lake.replace_keys("bronze", "sales", rows, "_source_key", ["k1", "k2"])

    lake.replace_keys("bronze", "sales", _object_rows("k1", []), "_source_key", ["k1"])

    assert _rows(lake) == [("k2", "2")]


def test_a_new_column_is_merged_into_the_schema(lake: LakeResource) -> None:
    lake.replace_keys("bronze", "sales", _object_rows("k1", ["1"]), "_source_key", ["k1"])
    drifted = _object_rows("k2", ["2"]).with_columns(pl.lit("10").alias("discount"))

    lake.replace_keys("bronze", "sales", drifted, "_source_key", ["k2"])
    lake.append("bronze", "sales", _object_rows("k3", ["3"]))

    result = lake.scan("bronze", "sales").sort("_source_key").collect()
    assert result.rows() == [("k1", "1", None), ("k2", "2", "10"), ("k3", "3", None)]


def test_upsert_updates_by_key_and_inserts_the_rest(lake: LakeResource) -> None:
    lake.upsert(
        "bronze", "m", pl.DataFrame({"t": ["a", "a"], "k": ["1", "2"], "e": ["x", "y"]}), ["t", "k"]
    )

    lake.upsert(
        "bronze", "m", pl.DataFrame({"t": ["a", "b"], "k": ["2", "2"], "e": ["z", "w"]}), ["t", "k"]
    )

    result = lake.scan("bronze", "m").sort("t", "k").collect().rows()
    assert result == [("a", "1", "x"), ("a", "2", "z"), ("b", "2", "w")]


def test_a_column_name_that_is_not_plain_is_refused(lake: LakeResource) -> None:
    lake.replace_keys("bronze", "sales", _object_rows("k1", ["1"]), "_source_key", ["k1"])
    with pytest.raises(ValueError, match="is not a plain identifier"):
        lake.upsert("bronze", "sales", _object_rows("k1", ["2"]), ["_source_key OR 1=1"])
