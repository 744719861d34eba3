"""Bronze after the session's end-to-end run over the real local servers: every source record
landed once, and every bronze materialization reports what it did."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.bronze.mongo import bronze_customers, bronze_reviews
from retail_platform.assets.bronze.s3 import FEED_ASSETS
from retail_platform.local.demo import customer_db_midpoint
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.conftest import PipelineRun

pytestmark = pytest.mark.integration


def _lake(run: PipelineRun) -> LakeResource:
    return run.definitions.resources["lake"]


def _metadata(run: PipelineRun, table: str) -> dict[str, object]:
    event = run.instance.get_latest_materialization_event(dg.AssetKey(["bronze", table]))
    assert event is not None and event.asset_materialization is not None, table
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def test_every_source_record_lands_in_bronze_once(pipeline_run: PipelineRun) -> None:
    dataset, lake = pipeline_run.dataset, _lake(pipeline_run)
    # The demo pipeline reads the customer database at mid-window and at the end: bronze keeps
    # every version either read saw, once.
    midpoint = customer_db_midpoint(dataset.start_date, dataset.end_date)
    customer_versions = {
        (c["_id"], c["updated_at"])
        for c in [*dataset.customers_as_of(midpoint), *dataset.customers]
    }
    expected = {
        "orders": len(dataset.orders),
        "payments": len(dataset.payments),
        "customers": len(customer_versions),
        "reviews": len(dataset.reviews),
        "products": len(dataset.products),
        "partners": len(dataset.partners),
        "partner_sales": sum(len(f["rows"]) for f in dataset.partner_sales),
        "inventory": sum(len(s["rows"]) for s in dataset.inventory),
    }
    landed = {table: lake.scan("bronze", table).collect().height for table in expected}
    assert landed == expected
    reviews = lake.scan("bronze", "reviews").collect()
    assert sorted(reviews.get_column("review_id")) == sorted(
        r["review_id"] for r in dataset.reviews
    )
    payments = lake.scan("bronze", "payments").collect()
    assert payments.get_column("payment_id").n_unique() == len(dataset.payments)


def test_every_bronze_materialization_reports_rows_and_malformed_counts(
    pipeline_run: PipelineRun,
) -> None:
    for table in ("customers", "reviews", "products", "partners", "partner_sales", "inventory"):
        metadata = _metadata(pipeline_run, table)
        assert {"rows", "malformed_records", "dagster/row_count"} <= set(metadata), table
    for table in ("orders", "payments"):
        metadata = _metadata(pipeline_run, table)
        assert {"pages_fetched", "retries_taken", "watermark", "malformed_records"} <= set(metadata)
    for table in ("customers", "reviews"):
        assert _metadata(pipeline_run, table)["watermark"] != "none"
    sales = _metadata(pipeline_run, "partner_sales")
    assert sales["objects_ingested"] == len(pipeline_run.dataset.partner_sales)
    assert sales["objects_rejected"] == 0


def test_the_manifest_lists_every_seeded_object_as_ingested(pipeline_run: PipelineRun) -> None:
    manifest = _lake(pipeline_run).scan("bronze", "s3_manifest").collect()
    assert sorted(manifest.get_column("key")) == sorted(pipeline_run.dataset.s3_objects())
    assert manifest.get_column("status").unique().to_list() == ["ingested"]


def test_re_running_s3_and_mongodb_bronze_without_changes_writes_nothing(
    pipeline_run: PipelineRun,
) -> None:
    lake = _lake(pipeline_run)
    tables = ["customers", "reviews", *[asset.key.path[-1] for asset in FEED_ASSETS.values()]]
    versions = {table: lake.version("bronze", table) for table in tables}

    job = pipeline_run.definitions.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=pipeline_run.instance,
        asset_selection=[bronze_customers.key, bronze_reviews.key]
        + [asset.key for asset in FEED_ASSETS.values()],
    )

    assert result.success
    assert {table: lake.version("bronze", table) for table in tables} == versions
    for event in result.get_asset_materialization_events():
        assert event.materialization.metadata["rows"].value == 0
    customers = lake.scan("bronze", "customers").collect()
    assert customers.filter(pl.col("_batch_id") == result.run_id).height == 0
