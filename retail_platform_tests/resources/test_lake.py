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
