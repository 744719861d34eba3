"""The real asset checks, run by Dagster against small Delta tables in a temporary lake."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.quality.checks import build_asset_checks
from retail_platform.resources.lake import LakeResource

PRIMARY_KEY = "primary_key_unique_and_present"
FOREIGN_KEYS = "foreign_keys_resolve"
DIM_CUSTOMER = dg.AssetKey(["gold", "dim_customer"])
FACT_ORDER_LINES = dg.AssetKey(["gold", "fact_order_lines"])
KPI_DAILY = dg.AssetKey(["gold", "kpi_daily"])
SILVER_ORDER_LINES = dg.AssetKey(["silver", "order_lines"])


@dataclass(frozen=True)
class CheckRun:
    run_succeeded: bool
    passed: bool
    metadata: dict[str, object]


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def _run_check(lake: LakeResource, asset_key: dg.AssetKey, name: str) -> CheckRun:
    """Runs only this check, in process, with `lake` bound as its resource."""
    check_key = dg.AssetCheckKey(asset_key, name)
    matching = [check for check in build_asset_checks() if check_key in check.check_keys]
    assert len(matching) == 1, f"expected exactly one check {check_key}"
    check = matching[0]
    upstream = {asset_key, *check.keys_by_input_name.values()}
    definitions = dg.Definitions(
        assets=[dg.AssetSpec(key) for key in upstream],
        asset_checks=[check],
        resources={"lake": lake},
        jobs=[dg.define_asset_job("only_this_check", selection=dg.AssetSelection.checks(check))],
    )

    result = definitions.resolve_job_def("only_this_check").execute_in_process(raise_on_error=False)

    evaluations = result.get_asset_check_evaluations()
    assert [evaluation.asset_check_key for evaluation in evaluations] == [check_key]
    evaluation = evaluations[0]
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    return CheckRun(result.success, evaluation.passed, metadata)


def _keys(name: str, values: list[int | None], dtype: pl.DataType = pl.Int64) -> pl.DataFrame:
    return pl.DataFrame({name: values}, schema={name: dtype})


def _star_schema(lake: LakeResource, fact: pl.DataFrame) -> None:
    lake.replace_table("gold", "dim_customer", _keys("customer_key", [101, 102]))
    lake.replace_table("gold", "dim_product", _keys("product_key", [201, 202]))
    lake.replace_table("gold", "dim_date", _keys("date_key", [20261001, 20261002], pl.Int32))
    lake.replace_table("gold", "fact_order_lines", fact)


def _fact(customer_keys: list[int | None]) -> pl.DataFrame:
    count = len(customer_keys)
    return pl.DataFrame(
        {
            "order_line_key": list(range(1, count + 1)),
            "date_key": [20261001] * count,
            "customer_key": customer_keys,
            "product_key": [201] * count,
        },
        schema={
            "order_line_key": pl.Int64,
            "date_key": pl.Int32,
            "customer_key": pl.Int64,
            "product_key": pl.Int64,
        },
    )


# --- primary key ------------------------------------------------------------------------------


def test_unique_present_primary_key_passes(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _keys("customer_key", [101, 102, 103]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is True
    assert run.run_succeeded is True
    assert run.metadata["null_keys"] == 0
    assert run.metadata["duplicated_keys"] == 0
    assert run.metadata["sample"] == "none"


def test_duplicated_primary_key_fails_and_blocks_the_run(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _keys("customer_key", [101, 102, 101]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is False
    assert run.run_succeeded is False  # blocking: a failed check fails its step
    assert run.metadata["duplicated_keys"] == 1
    assert run.metadata["null_keys"] == 0
    assert run.metadata["sample"] == "| customer_key | occurrences |\n|---|---|\n| 101 | 2 |"


def test_null_primary_key_fails(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_customer", _keys("customer_key", [101, None, 102]))

    run = _run_check(lake, DIM_CUSTOMER, PRIMARY_KEY)

    assert run.passed is False
    assert run.metadata["null_keys"] == 1
    assert run.metadata["duplicated_keys"] == 0


def test_composite_primary_key_is_unique_as_a_whole(lake: LakeResource) -> None:
    lines = pl.DataFrame({"order_id": ["O1", "O1", "O2"], "line_number": [1, 2, 1]})
    lake.replace_table("silver", "order_lines", lines)

    run = _run_check(lake, SILVER_ORDER_LINES, PRIMARY_KEY)

    assert run.passed is True
    assert run.metadata["duplicated_keys"] == 0


def test_composite_primary_key_repeated_fails(lake: LakeResource) -> None:
    lines = pl.DataFrame(
        {"order_id": ["O1", "O1", "O2", "O2"], "line_number": [1, 2, 1, 1]},
        schema={"order_id": pl.String, "line_number": pl.Int32},
    )
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
    assert run.metadata == {
        "orphan_date_key": 2,
        "orphan_customer_key": 0,
        "orphan_product_key": 1,
    }


def test_kpi_daily_dates_must_resolve_to_dim_date(lake: LakeResource) -> None:
    lake.replace_table("gold", "dim_date", _keys("date_key", [20261001], pl.Int32))
    lake.replace_table("gold", "kpi_daily", _keys("date_key", [20261001, 20261002], pl.Int32))

    run = _run_check(lake, KPI_DAILY, FOREIGN_KEYS)

    assert run.passed is False
    assert run.metadata == {"orphan_date_key": 1}
