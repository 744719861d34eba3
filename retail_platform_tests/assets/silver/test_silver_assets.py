"""The silver assets through Dagster on a small bronze layer: accounting, merge, fail closed."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.silver.cleaning import accounting_check
from retail_platform.assets.silver.customers import silver_customers_assets
from retail_platform.assets.silver.orders import ORDERS as ORDERS_ENTITY
from retail_platform.assets.silver.orders import silver_orders_assets
from retail_platform.assets.silver.partners import silver_partners_assets
from retail_platform.assets.silver.payments import silver_payments_assets
from retail_platform.assets.silver.reviews import silver_reviews_assets
from retail_platform.contracts import bronze
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.silver.small_lake import (
    CUSTOMERS,
    ORDERS,
    PAYMENTS,
    RAW_EMAILS,
    RAW_PHONES,
    bronze_table,
    line,
    order,
    run_assets,
)


@pytest.fixture
def lake(small_lake: LakeResource) -> LakeResource:
    return small_lake  # assets/conftest.py


def run(
    assets_def: dg.AssetsDefinition, lake: LakeResource, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return run_assets([assets_def], [], lake, instance, dg.AssetSelection.all())


def metadata(result: dg.ExecuteInProcessResult, table: str) -> dict[str, object]:
    for event in result.get_asset_materialization_events():
        if event.materialization.asset_key == dg.AssetKey(["silver", table]):
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"silver/{table} was not materialized")


def silver(lake: LakeResource, table: str) -> pl.DataFrame:
    return lake.scan("silver", table).collect()


def test_orders_reach_silver_with_every_row_accounted_for(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    result = run(silver_orders_assets, lake, instance)

    assert result.success
    # 6 versions in: O4's is malformed; the 5 valid ones are 3 orders, 2 versions superseded.
    assert {
        key: metadata(result, "orders")[key]
        for key in ("rows_in", "rows_valid", "rows_quarantined", "distinct_keys",
                    "versions_superseded", "rows_out")
    } == {"rows_in": 6, "rows_valid": 5, "rows_quarantined": 1, "distinct_keys": 3,
          "versions_superseded": 2, "rows_out": 3}  # fmt: skip
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    check = checks["rows_accounted_for"]
    assert (check.check_name, check.passed) == ("rows_accounted_for", True)
    assert check.metadata["failed"].value == "none"
    # O4 is 1 of the 2 versions of Oct 3 (50%, not above the 50% failure) and 1 of 6 rows
    # (16.67%) of the table: over the 1% warning only, naming its day first.
    quarantine = checks["quarantine_within_limits"]
    assert (quarantine.passed, quarantine.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert quarantine.metadata["share_quarantined"].value == 0.1667
    assert quarantine.description.startswith(
        "partition 2026-10-03: 1 of 2 rows quarantined (50.0%)"
    )
    assert "created_at: not an ISO-8601 timestamp (1)" in quarantine.description
    orders = silver(lake, "orders").sort("order_id")
    assert orders.select("order_id", "status").rows() == [
        ("O1", "shipped"),
        ("O2", "cancelled"),
        ("O3", "returned"),
    ]
    assert silver(lake, "order_lines").height == 4
    quarantine = silver(lake, "orders_quarantine")
    assert quarantine.select("order_id", "created_at", "_quarantine_reason").rows() == [
        ("O4", "02/10/2026", "created_at: not an ISO-8601 timestamp: '02/10/2026'")
    ]


def new_batch(rows: list[dict], batch_id: str) -> pl.DataFrame:
    """Bronze order rows delivered by a later ingestion run."""
    return bronze_table(bronze.ORDERS, rows).with_columns(pl.lit(batch_id).alias("_batch_id"))


def test_a_late_older_version_does_not_overwrite_the_newer_one_in_silver(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    assert run(silver_orders_assets, lake, instance).success
    # A later batch re-delivers O1's first version (e.g. a backfill of an old day).
    lake.append("bronze", "orders", new_batch(ORDERS[:1], "run-2"))

    result = run(silver_orders_assets, lake, instance)

    assert result.success
    assert metadata(result, "orders")["refresh_mode"] == "incremental"
    assert metadata(result, "orders")["rows_in"] == 1  # only the new batch was validated
    orders = silver(lake, "orders").sort("order_id")
    assert orders.select("order_id", "status").rows() == [
        ("O1", "shipped"),  # still the newer version
        ("O2", "cancelled"),
        ("O3", "returned"),
    ]


def test_a_newer_version_with_fewer_lines_replaces_the_lines_through_the_merge(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    assert run(silver_orders_assets, lake, instance).success
    changed = order("O1", "C1", "shipped", "2026-10-01T10:00:00Z", "2026-10-04T09:00:00Z",
                    [line(1, "P1", 3, "10.00")])  # fmt: skip
    lake.append("bronze", "orders", new_batch([changed], "run-2"))

    result = run(silver_orders_assets, lake, instance)

    assert result.success
    assert metadata(result, "order_lines")["rows_deleted"] == 1
    lines = silver(lake, "order_lines").filter(pl.col("order_id") == "O1")
    assert lines.select("line_number", "quantity", "line_amount").rows() == [(1, 3, 30)]
    assert silver(lake, "order_lines").height == 3  # O1: 1, O2: 1, O3: 1


def test_a_column_the_policy_does_not_classify_stops_silver_naming_table_and_column(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    # A new source field appears in bronze before anyone classified it.
    payments = bronze_table(bronze.PAYMENTS, PAYMENTS).with_columns(
        card_number=pl.lit("4111 1111 1111 1111")
    )
    lake.replace_table("bronze", "payments", payments)

    result = run(silver_payments_assets, lake, instance)

    assert not result.success
    (failure,) = result.get_step_failure_events()
    cause = failure.step_failure_data.error.cause  # the error the asset raised
    assert cause.cls_name == "UnclassifiedColumnError"
    assert "table 'payments': column(s) not classified in the PII policy: card_number" in (
        cause.message
    )
    assert not lake.exists("silver", "payments")  # nothing reached silver


def test_customers_and_reviews_reach_silver_without_raw_pii(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    assert run(silver_customers_assets, lake, instance).success
    assert run(silver_reviews_assets, lake, instance).success

    cells = [
        str(cell)
        for table in ("customers", "customers_quarantine", "reviews", "reviews_quarantine")
        for row in silver(lake, table).rows()
        for cell in row
    ]
    for raw in (*RAW_EMAILS, *RAW_PHONES, "Ada", "Lovelace", "Baker Street", "1985-12-10"):
        assert not any(raw in cell for cell in cells), raw
    assert silver(lake, "reviews").get_column("text").to_list() == [
        "Lovely. Write to [EMAIL] or call [PHONE]."
    ]


def test_a_later_customer_batch_is_merged_incrementally_and_masked(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    assert run(silver_customers_assets, lake, instance).success
    tokens = dict(silver(lake, "customers").select("customer_id", "email_token").rows())
    moved = CUSTOMERS[1] | {"email": "alan@example.net", "updated_at": "2025-07-01T09:00:00Z",
                            "address_city": "Leeds"}  # fmt: skip
    batch = bronze_table(bronze.CUSTOMERS, [moved]).with_columns(pl.lit("run-2").alias("_batch_id"))
    lake.append("bronze", "customers", batch)

    result = run(silver_customers_assets, lake, instance)

    assert result.success
    assert metadata(result, "customers")["refresh_mode"] == "incremental"
    assert metadata(result, "customers")["rows_in"] == 1
    after = dict(silver(lake, "customers").select("customer_id", "email_token").rows())
    assert after["C1"] == tokens["C1"]  # untouched
    assert after["C2"] not in (tokens["C2"], None)  # the new email's token
    assert silver(lake, "customers").filter(pl.col("customer_id") == "C2")["city"].to_list() == [
        "Leeds"
    ]
    cells = [str(cell) for row in silver(lake, "customers").rows() for cell in row]
    assert not any("alan@example.net" in cell for cell in cells)


@pytest.mark.parametrize(
    ("assets_def", "table", "column", "pii_class", "action"),
    [
        (silver_customers_assets, "customers", "email_token", "email", "hmac_token"),
        (silver_customers_assets, "customers", "birth_year", "birth_date", "generalize"),
        (silver_reviews_assets, "reviews", "text", "free_text", "redact_patterns"),
        (silver_partners_assets, "partners", "contact_email", "email", "partial_email"),
    ],
)
def test_the_policy_shows_in_the_column_schema_of_the_silver_asset(
    assets_def: dg.AssetsDefinition, table: str, column: str, pii_class: str, action: str
) -> None:
    spec = next(s for s in assets_def.specs if s.key == dg.AssetKey(["silver", table]))
    schema = spec.metadata["dagster/column_schema"]

    assert {c.name: c.tags for c in schema.columns}[column] == {
        "pii": pii_class,
        "pii_masking": action,
    }
    assert spec.tags["pii"] == "masked"


def test_the_accounting_check_fails_when_rows_are_lost() -> None:
    counts = {
        "rows_in": 10,
        "rows_valid": 8,
        "rows_quarantined": 1,  # one row neither valid nor quarantined
        "distinct_keys": 5,
        "rows_latest": 5,
        "versions_superseded": 3,
    }

    lost = accounting_check(ORDERS_ENTITY, counts, quarantine_rows_written=1)
    unwritten = accounting_check(ORDERS_ENTITY, {**counts, "rows_valid": 9}, 0)
    duplicated = accounting_check(ORDERS_ENTITY, {**counts, "rows_valid": 9, "rows_latest": 6}, 1)

    def failed(result: dg.AssetCheckResult) -> tuple[bool, str]:
        return result.passed, result.metadata["failed"].value

    assert failed(lost) == (False, "rows_in = rows_valid + rows_quarantined")
    assert failed(unwritten) == (False, "quarantine table holds rows_quarantined")
    assert failed(duplicated) == (False, "one latest row per distinct key")
    ok = accounting_check(ORDERS_ENTITY, {**counts, "rows_valid": 9}, 1)
    assert failed(ok) == (True, "none")


def test_order_lines_materialize_alone_and_the_orders_they_needed_are_recorded(
    lake: LakeResource, instance: dg.DagsterInstance
) -> None:
    selected = dg.AssetSelection.assets(dg.AssetKey(["silver", "order_lines"]))

    result = run_assets([silver_orders_assets], [], lake, instance, selected)

    assert result.success
    # The only output of the run is the selected table ...
    outputs = [
        event.step_output_data.output_name
        for event in result.all_events
        if event.is_successful_output
    ]
    assert outputs == ["silver__order_lines"]
    # ... the siblings the recipe wrote with it are recorded as runtime materializations ...
    assert sorted(
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    ) == ["silver/order_lines", "silver/orders", "silver/orders_quarantine"]
    # ... and no check of an unselected asset reports.
    assert result.get_asset_check_evaluations() == []
