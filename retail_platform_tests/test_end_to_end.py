"""bronze -> silver -> gold -> warehouse, materialized in process against the real local servers."""

from __future__ import annotations

import re

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform_tests.conftest import PipelineRun

pytestmark = pytest.mark.integration


def _metadata(run: PipelineRun, key: str) -> dict[str, object]:
    event = run.instance.get_latest_materialization_event(dg.AssetKey(key.split("/")))
    assert event is not None and event.asset_materialization is not None, key
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def _lake(run: PipelineRun, layer: str, table: str) -> pl.DataFrame:
    return run.definitions.resources["lake"].scan(layer, table).collect()


def test_the_warehouse_holds_every_gold_table_with_the_same_rows(pipeline_run: PipelineRun) -> None:
    warehouse = pipeline_run.definitions.resources["warehouse"]
    for contract in GOLD_TABLES:
        gold_rows = _lake(pipeline_run, "gold", contract.name).height
        assert gold_rows > 0, contract.name
        assert warehouse.table_row_count(contract.name) == gold_rows, contract.name


def test_every_order_version_lands_in_bronze_and_is_accounted_for_in_silver(
    pipeline_run: PipelineRun,
) -> None:
    delivered = len(pipeline_run.dataset.orders)
    assert _lake(pipeline_run, "bronze", "orders").height == delivered

    accounting = _metadata(pipeline_run, "silver/orders")
    assert accounting["rows_in"] == delivered
    assert accounting["rows_valid"] + accounting["rows_quarantined"] == delivered
    distinct_valid_orders = _lake(pipeline_run, "silver", "orders").height
    assert accounting["rows_out"] == distinct_valid_orders


def test_malformed_orders_are_kept_in_bronze_and_quarantined_with_a_reason(
    pipeline_run: PipelineRun,
) -> None:
    malformed = {(m["order_id"], m["updated_at"]) for m in pipeline_run.dataset.malformed_orders}
    assert malformed, "the generator always produces malformed orders"

    bronze = _lake(pipeline_run, "bronze", "orders")
    bronze_with_error = bronze.filter(pl.col("_error").is_not_null())
    assert bronze_with_error.height > 0
    assert bronze_with_error.get_column("_raw").is_not_null().all()
    assert _metadata(pipeline_run, "bronze/orders")["malformed_records"] == bronze_with_error.height

    quarantine = _lake(pipeline_run, "silver", "orders_quarantine")
    quarantined = set(
        zip(
            quarantine.get_column("order_id").fill_null("?"),
            quarantine.get_column("updated_at"),
            strict=True,
        )
    )
    # Records without an order_id are matched through the raw text they were kept with.
    raw_texts = " ".join(quarantine.get_column("_raw").drop_nulls().to_list())
    for order_id, updated_at in malformed:
        assert (order_id, updated_at) in quarantined or order_id in raw_texts, order_id
    assert quarantine.get_column("_quarantine_reason").is_not_null().all()


def test_rematerializing_a_partition_leaves_row_counts_unchanged(pipeline_run: PipelineRun) -> None:
    tables = [("bronze", "orders"), ("bronze", "payments")]
    before = {table: _lake(pipeline_run, *table).height for table in tables}
    day = "2026-10-05"
    before_day = _lake(pipeline_run, "bronze", "orders").filter(
        pl.col("_partition_date") == pl.lit(day).str.to_date()
    )

    job = pipeline_run.definitions.resolve_job_def("nightly_dated_sources")
    result = job.execute_in_process(instance=pipeline_run.instance, partition_key=day)

    assert result.success
    assert {table: _lake(pipeline_run, *table).height for table in tables} == before
    after_day = _lake(pipeline_run, "bronze", "orders").filter(
        pl.col("_partition_date") == pl.lit(day).str.to_date()
    )
    assert after_day.height == before_day.height > 0
    assert after_day.get_column("_batch_id").unique().to_list() == [result.run_id]


def test_no_raw_customer_pii_reaches_silver_gold_or_the_warehouse(
    pipeline_run: PipelineRun,
) -> None:
    customers = pipeline_run.dataset.customers
    identifying = {
        value
        for customer in customers
        for value in (
            customer["email"],
            customer["phone"],
            customer["address"]["street"],
            customer["birth_date"],
        )
    }
    names = {customer[part] for customer in customers for part in ("first_name", "last_name")}
    # Names are matched as whole words, so a brand such as "Greenleaf" is not the name "Green".
    pattern = re.compile(
        "|".join(re.escape(value) for value in sorted(identifying, key=len, reverse=True))
        + "|"
        + "|".join(rf"\b{re.escape(name)}\b" for name in sorted(names, key=len, reverse=True))
    )

    def scan(label: str, frame: pl.DataFrame) -> None:
        for column, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            for value in frame.get_column(column).drop_nulls().unique():
                match = pattern.search(value)
                assert match is None, f"{label}.{column} holds raw PII {match.group(0)!r}"

    lake = pipeline_run.definitions.resources["lake"]
    for layer in ("silver", "gold"):
        for table_dir in sorted((pipeline_run.state_dir / "lake" / layer).iterdir()):
            scan(f"{layer}.{table_dir.name}", lake.scan(layer, table_dir.name).collect())

    warehouse = pipeline_run.definitions.resources["warehouse"]
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        for contract in GOLD_TABLES:
            cursor.execute(f"SELECT * FROM {contract.name.upper()}")  # names from contracts
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
            frame = pl.DataFrame(
                [[None if v is None else str(v) for v in row] for row in rows],
                schema=dict.fromkeys(columns, pl.String),
                orient="row",
            )
            scan(f"warehouse.{contract.name}", frame)


def test_all_asset_checks_passed(pipeline_run: PipelineRun) -> None:
    graph = pipeline_run.definitions.resolve_asset_graph()
    check_keys = graph.asset_check_keys
    assert len(check_keys) >= 12
    for check_key in check_keys:
        record = pipeline_run.instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [check_key]
        ).get(check_key)
        assert record is not None, f"{check_key} never ran"
        assert record.status.value == "SUCCEEDED", check_key
