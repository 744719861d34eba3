"""Completeness of partitions and dates, and timeliness between layers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts import gold, silver
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.tables import table

SILVER_ORDERS = dg.AssetKey(["silver", "orders"])


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def materialize_bronze_days(instance: dg.DagsterInstance, *days: str) -> None:
    for day in days:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=["bronze", "orders"], partition=day)
        )


def test_contiguous_bronze_partitions_pass(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    materialize_bronze_days(instance, "2026-10-01", "2026-10-02", "2026-10-03")

    run = run_check(lake, SILVER_ORDERS, "bronze_partitions_complete", instance)

    assert run.passed is True
    assert run.metadata["partitions_materialized"] == 3
    assert (run.metadata["first"], run.metadata["last"]) == ("2026-10-01", "2026-10-03")


def test_a_missing_bronze_day_fails_naming_it(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    materialize_bronze_days(instance, "2026-10-01", "2026-10-02", "2026-10-05")

    run = run_check(lake, SILVER_ORDERS, "bronze_partitions_complete", instance)

    assert run.passed is False
    assert run.run_succeeded is False  # blocking: gold does not build on an incomplete silver
    assert run.metadata["missing"] == "2026-10-03, 2026-10-04"


def test_no_bronze_partition_at_all_fails(lake: LakeResource, instance: dg.DagsterInstance) -> None:
    run = run_check(lake, SILVER_ORDERS, "bronze_partitions_complete", instance)

    assert run.passed is False
    assert run.metadata["partitions_materialized"] == 0


def test_dim_date_with_a_gap_fails(lake: LakeResource) -> None:
    days = [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 4)]
    keys = [20261001, 20261002, 20261004]
    lake.replace_table("gold", "dim_date", table(gold.DIM_DATE, date_key=keys, date=days))

    run = run_check(lake, dg.AssetKey(["gold", "dim_date"]), "dates_contiguous")

    assert run.passed is False
    assert {name: run.metadata[name] for name in ("missing_days", "missing")} == {
        "missing_days": 1,
        "missing": "2026-10-03",
    }
    assert run.metadata["sample_text"] == "missing_date=2026-10-03"


def stamp(day: int) -> datetime:
    return datetime(2026, 10, day, 12, tzinfo=UTC)


def test_silver_behind_bronze_warns(lake: LakeResource) -> None:
    bronze_orders = {"order_id": ["O1"], "_partition_date": [date(2026, 10, 3)]}
    lake.replace_table("bronze", "orders", pl.DataFrame(bronze_orders))
    lake.replace_table("silver", "orders", table(silver.ORDERS, updated_at=[stamp(2)]))

    run = run_check(lake, SILVER_ORDERS, "holds_newest_bronze_day")

    assert run.passed is False
    assert run.severity == dg.AssetCheckSeverity.WARN
    assert run.run_succeeded is True  # a warning does not stop the run
    assert run.metadata == {"newest_bronze_day": "2026-10-03", "newest_silver_day": "2026-10-02"}


def test_kpis_reaching_the_newest_silver_day_pass_and_lagging_ones_warn(
    lake: LakeResource,
) -> None:
    lake.replace_table("silver", "orders", table(silver.ORDERS, order_date=[date(2026, 10, 3)]))
    payments = table(silver.PAYMENTS, payment_date=[date(2026, 10, 4)])
    lake.replace_table("silver", "payments", payments)
    kpi = dg.AssetKey(["gold", "kpi_daily"])

    lake.replace_table("gold", "kpi_daily", table(gold.KPI_DAILY, date=[date(2026, 10, 4)]))
    assert run_check(lake, kpi, "reaches_newest_silver_day").passed is True

    lake.replace_table("gold", "kpi_daily", table(gold.KPI_DAILY, date=[date(2026, 10, 3)]))
    lagging = run_check(lake, kpi, "reaches_newest_silver_day")
    assert lagging.passed is False
    assert lagging.metadata == {"newest_silver_day": "2026-10-04", "newest_kpi_day": "2026-10-03"}
