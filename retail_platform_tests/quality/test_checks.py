"""Uniqueness, completeness and consistency checks, run by Dagster on small Delta tables."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts import gold, silver
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check as _run_check
from retail_platform_tests.quality.tables import table

REQUIRED = "required_columns_present"

PRIMARY_KEY = "primary_key_unique_and_present"
FOREIGN_KEYS = "foreign_keys_resolve"
DIM_CUSTOMER = dg.AssetKey(["gold", "dim_customer"])
FACT_ORDER_LINES = dg.AssetKey(["gold", "fact_order_lines"])
KPI_DAILY = dg.AssetKey(["gold", "kpi_daily"])
SILVER_ORDER_LINES = dg.AssetKey(["silver", "order_lines"])


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def _customers(keys: list[int | None]) -> pl.DataFrame:
    return table(gold.DIM_CUSTOMER, customer_key=keys)


def _star_schema(lake: LakeResource, fact: pl.DataFrame) -> None:
    lake.replace_table("gold", "dim_customer", _customers([101, 102]))
    lake.replace_table("gold", "dim_product", table(gold.DIM_PRODUCT, product_key=[201, 202]))
    lake.replace_table("gold", "dim_date", table(gold.DIM_DATE, date_key=[20261001, 20261002]))
    lake.replace_table("gold", "fact_order_lines", fact)


def _fact(customer_keys: list[int | None]) -> pl.DataFrame:
    count = len(customer_keys)
    return table(
        gold.FACT_ORDER_LINES,
        order_line_key=list(range(1, count + 1)),
        date_key=[20261001] * count,
        customer_key=customer_keys,
        product_key=[201] * count,
    )


# --- primary key ------------------------------------------------------------------------------


def test_unique_present_primary_key_passes(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _customers([101, 102, 103]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is True
    assert run.run_succeeded is True
    assert run.metadata["null_keys"] == 0
    assert run.metadata["duplicated_keys"] == 0
    assert run.metadata["sample"] == "none"


def test_duplicated_primary_key_fails_and_blocks_the_run(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _customers([101, 102, 101]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is False
    assert run.run_succeeded is False  # blocking: a failed check fails its step
    assert run.metadata["duplicated_keys"] == 1
    assert run.metadata["null_keys"] == 0
    assert run.metadata["sample"] == "| customer_key | occurrences |\n|---|---|\n| 101 | 2 |"


def test_null_primary_key_fails(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _customers([101, None, 102]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is False
    assert run.metadata["null_keys"] == 1
    assert run.metadata["duplicated_keys"] == 0


def test_composite_primary_key_is_unique_as_a_whole(lake: LakeResource) -> None:
    lines = table(silver.ORDER_LINES, order_id=["O1", "O1", "O2"], line_number=[1, 2, 1])
    lake.replace_table("silver", "order_lines", lines)

    run = _run_check(lake, SILVER_ORDER_LINES, PRIMARY_KEY)

    assert run.passed is True
    assert run.metadata["duplicated_keys"] == 0


def test_composite_primary_key_repeated_fails(lake: LakeResource) -> None:
    lines = table(silver.ORDER_LINES, order_id=["O1", "O1", "O2", "O2"], line_number=[1, 2, 1, 1])
    lake.replace_table("silver", "order_lines", lines)

    run = _run_check(lake, SILVER_ORDER_LINES, PRIMARY_KEY)

    assert run.passed is False
    assert run.metadata["duplicated_keys"] == 1
    assert run.metadata["sample"] == (
        "| order_id | line_number | occurrences |\n|---|---|---|\n| O2 | 1 | 2 |"
    )


# --- foreign keys -----------------------------------------------------------------------------


def test_fact_rows_that_all_resolve_pass(lake: LakeResource) -> None:
    _star_schema(lake, _fact([101, 102, 101]))

    run = _run_check(lake, FACT_ORDER_LINES, FOREIGN_KEYS)

    assert run.passed is True
    assert run.run_succeeded is True
    assert run.metadata == {
        "orphan_date_key": 0,
        "orphan_customer_key": 0,
        "orphan_product_key": 0,
        "sample": "none",
        "sample_rows": 0,
        "sample_text": "none",
    }


def test_an_orphan_customer_key_fails_foreign_keys_resolve(lake: LakeResource) -> None:
    _star_schema(lake, _fact([101, 999, 102]))

    run = _run_check(lake, FACT_ORDER_LINES, FOREIGN_KEYS)

    assert run.passed is False
    assert run.run_succeeded is False
    assert run.metadata == {
        "orphan_date_key": 0,
        "orphan_customer_key": 1,
        "orphan_product_key": 0,
        # The offending key with the fact row's own key: line 2 points at customer 999.
        "sample": "| order_line_key | customer_key |\n|---|---|\n| 2 | 999 |",
        "sample_rows": 1,
        "sample_text": "order_line_key=2 customer_key=999",
    }


def test_a_null_customer_key_counts_as_an_orphan(lake: LakeResource) -> None:
    _star_schema(lake, _fact([101, None]))

    run = _run_check(lake, FACT_ORDER_LINES, FOREIGN_KEYS)

    assert run.passed is False
    assert run.metadata["orphan_customer_key"] == 1


def test_each_foreign_key_is_counted_separately(lake: LakeResource) -> None:
    fact = _fact([101, 102, 101]).with_columns(
        pl.Series("date_key", [20261001, 20261231, 20261231], pl.Int32),
        pl.Series("product_key", [201, 202, 777], pl.Int64),
    )
    _star_schema(lake, fact)

    run = _run_check(lake, FACT_ORDER_LINES, FOREIGN_KEYS)

    assert run.passed is False
    counts = {name: run.metadata[name] for name in run.metadata if name.startswith("orphan_")}
    assert counts == {"orphan_date_key": 2, "orphan_customer_key": 0, "orphan_product_key": 1}
    # Lines 2 and 3 are dated 2026-12-31 (not in dim_date); line 3 has product 777.
    assert run.metadata["sample_text"] == (
        "order_line_key=2 date_key=20261231 product_key=None | "
        "order_line_key=3 date_key=20261231 product_key=None | "
        "order_line_key=3 date_key=None product_key=777"
    )


def test_kpi_daily_dates_must_resolve_to_dim_date(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_date", table(gold.DIM_DATE, date_key=[20261001]))
    lake.replace_table("gold", "kpi_daily", table(gold.KPI_DAILY, date_key=[20261001, 20261002]))

    run = _run_check(lake, KPI_DAILY, FOREIGN_KEYS)

    assert run.passed is False
    assert run.metadata["orphan_date_key"] == 1
    assert run.metadata["sample_text"] == "date_key=20261002"


# --- completeness: required columns -----------------------------------------------------------


def test_a_null_in_a_required_column_fails_naming_the_column(lake: LakeResource) -> None:
    products = table(
        gold.DIM_PRODUCT,
        product_key=[201, 202, 203],
        name=["Mug", None, None],
        category=[None, "home", None],  # optional: nulls are fine
    )
    lake.replace_table("gold", "dim_product", products)

    run = _run_check(lake, dg.AssetKey(["gold", "dim_product"]), REQUIRED)

    assert run.passed is False
    assert run.run_succeeded is False  # blocking
    assert run.metadata["null_cells"] == 2
    assert run.metadata["columns_with_nulls"] == "name (2)"


def test_nulls_only_in_optional_columns_pass(lake: LakeResource) -> None:
    products = table(gold.DIM_PRODUCT, product_key=[201], category=[None], brand=[None])
    lake.replace_table("gold", "dim_product", products)

    run = _run_check(lake, dg.AssetKey(["gold", "dim_product"]), REQUIRED)

    assert run.passed is True
    assert run.metadata["null_cells"] == 0


def test_a_required_column_absent_from_the_table_fails(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_product", table(gold.DIM_PRODUCT, product_key=[1]).drop("sku"))

    run = _run_check(lake, dg.AssetKey(["gold", "dim_product"]), REQUIRED)

    assert run.passed is False
    assert run.metadata["absent_columns"] == "sku"


# --- consistency: silver order lines belong to orders ---------------------------------------------


def test_an_order_line_without_its_order_fails(lake: LakeResource) -> None:
    lake.replace_table("silver", "orders", table(silver.ORDERS, order_id=["O1"]))
    lines = table(silver.ORDER_LINES, order_id=["O1", "O9"], line_number=[1, 1])
    lake.replace_table("silver", "order_lines", lines)

    run = _run_check(lake, SILVER_ORDER_LINES, "every_line_has_its_order")

    assert run.passed is False
    assert run.metadata["orphan_lines"] == 1
    assert run.metadata["sample"] == "| order_id | line_number |\n|---|---|\n| O9 | 1 |"
