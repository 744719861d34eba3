"""Property: any sequence of incremental silver runs equals one full rebuild of the same bronze.

Bronze histories are generated the way the bronze assets write: whole days replaced (the REST
feeds, backfills of older days after newer ones, corrections), batches appended (MongoDB) and
objects replaced by key (S3 re-deliveries). Versions repeat, tie on `updated_at`, carry padded
keys (' O1' is O1) and are malformed now and then. Silver runs happen after arbitrary
deliveries; at the end, silver orders, order lines and the quarantine (and silver payments and
theirs) must hold exactly the rows of a full rebuild of a copy of the same bronze.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.assets.silver import customers, partners, products, reviews
from retail_platform.assets.silver.incremental import FULL, plan_refresh, refresh_entity
from retail_platform.assets.silver.orders import ORDER_LINES, ORDERS, silver_orders_assets
from retail_platform.assets.silver.payments import PAYMENTS
from retail_platform.assets.silver.run_mode import SilverRun
from retail_platform.contracts import bronze
from retail_platform.quality.quarantine import QUARANTINE_CHECK
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.incremental import cleaned_keys
from retail_platform_tests.assets.silver.small_lake import BRONZE, bronze_table

FIRST_DAY = date(2026, 10, 1)
START = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
PII = PiiMaskingResource(hmac_secret="property-test")
TABLES = ("orders", "order_lines", "orders_quarantine")

versions = st.fixed_dictionaries(
    {
        "order_id": st.sampled_from(["O1", "O2", "O3", " O1"]),
        "hour": st.integers(8, 9),  # two times a day: versions tie often
        "status": st.sampled_from(["placed", "paid", "shipped"]),
        "quantity": st.integers(1, 2),
        "lines": st.integers(1, 2),
        "malformed": st.sampled_from([None, None, None, "created_at", "lines"]),
    }
)
deliveries = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["day", "append", "object"]),
        "day": st.integers(0, 3),
        "versions": st.lists(versions, max_size=3),
        "silver_runs_after": st.booleans(),
    }
)


def _row(version: dict[str, Any], day: date) -> dict[str, Any]:
    lines = [
        {"line_number": n, "product_id": f"P{n}", "quantity": version["quantity"],
         "unit_price": 10.0, "discount": 0.0}
        for n in range(1, version["lines"] + 1)
    ]  # fmt: skip
    malformed = version["malformed"]
    return {
        "order_id": version["order_id"],
        "customer_id": "C1",
        "status": version["status"],
        "currency": "EUR",
        "channel": "web",
        "created_at": "01/10/2026" if malformed == "created_at" else "2026-10-01T07:00:00Z",
        "updated_at": f"{day.isoformat()}T{version['hour']:02d}:00:00Z",
        "lines": "[]" if malformed == "lines" else json.dumps(lines),
        "_partition_date": day,
    }


def _payment_row(version: dict[str, Any], day: date) -> dict[str, Any]:
    """A payment attempt; the order fields of a generated version give it its values."""
    return {
        "payment_id": version["order_id"].replace("O", "PAY"),
        "order_id": version["order_id"].strip(),
        "amount": "abc" if version["malformed"] == "lines" else f"{version['quantity']}0.00",
        "currency": "EUR",
        "method": "card",
        "status": {"placed": "failed", "paid": "captured", "shipped": "refunded"}[
            version["status"]
        ],
        "created_at": "01/10/2026"
        if version["malformed"] == "created_at"
        else f"{day.isoformat()}T{version['hour']:02d}:00:00Z",
        "_partition_date": day,
    }


def _frame(
    rows: list[dict[str, Any]], batch: int, source_key: str, contract: Any = bronze.ORDERS
) -> pl.DataFrame:
    names = contract.column_names
    ingestion = {
        "_source": "test",
        "_batch_id": f"batch-{batch}",
        "_ingested_at": START + timedelta(minutes=batch),
        "_source_key": source_key,
        "_error": None,
        "_raw": None,
    }
    filled = [{name: (row | ingestion).get(name) for name in names} for row in rows]
    return pl.DataFrame(filled, schema=contract.polars_schema)


def deliver(
    lake: LakeResource, number: int, delivery: dict[str, Any], table: str = "orders"
) -> None:
    contract, build = (bronze.ORDERS, _row)
    if table == "payments":
        contract, build = bronze.PAYMENTS, _payment_row
    day = FIRST_DAY + timedelta(days=delivery["day"])
    rows = [build(version, day) for version in delivery["versions"]]
    if delivery["kind"] == "day":  # a REST day fetched (again): the day's rows replaced
        frame = _frame(rows, number, f"page-{number}", contract)
        lake.replace_date_window("bronze", table, frame, day, day + timedelta(days=1))
    elif delivery["kind"] == "append":  # a new batch past a watermark
        lake.append("bronze", table, _frame(rows, number, f"append-{number}", contract))
    else:  # an S3 object delivered again under the same key: its rows replaced
        key = f"object-{day.isoformat()}"
        frame = _frame(rows, number, key, contract)
        lake.replace_keys("bronze", table, frame, "_source_key", [key])


def silver_run(lake: LakeResource, run_id: str, *, full_refresh: bool = False) -> list:
    return refresh_entity(lake, ORDERS, PII, SilverRun(run_id, full_refresh), ORDER_LINES)


def quarantine_check(results: list) -> tuple:
    """What the quarantine check said: passed, severity, description and metadata."""
    (check,) = [r for r in results if getattr(r, "check_name", None) == QUARANTINE_CHECK]
    metadata = {name: getattr(value, "value", value) for name, value in check.metadata.items()}
    return check.passed, check.severity, check.description, metadata


def rows(lake: LakeResource, table: str) -> pl.DataFrame:
    frame = lake.scan("silver", table).collect()
    return frame.sort(frame.columns, nulls_last=True)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    # No shrinking: it replays Delta writes for minutes; a failure prints its history as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(history=st.lists(deliveries, min_size=1, max_size=6))
def test_incremental_runs_leave_silver_equal_to_a_full_rebuild(
    history: list[dict[str, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lake = LakeResource(root=str(root / "incremental"))
        lake.replace_table("bronze", "orders", _frame([], 0, "none"))
        silver_run(lake, "run-0")  # the first run has no progress: a full build
        for number, delivery in enumerate(history, start=1):
            deliver(lake, number, delivery)
            if delivery["silver_runs_after"]:
                silver_run(lake, f"run-{number}")
        assert plan_refresh(lake, ORDERS, SilverRun("last"), ORDER_LINES).mode != FULL
        last = silver_run(lake, "last")

        shutil.copytree(root / "incremental" / "bronze", root / "full" / "bronze")
        full = LakeResource(root=str(root / "full"))
        rebuilt = silver_run(full, "full", full_refresh=True)

        for table in TABLES:
            assert_frame_equal(rows(lake, table), rows(full, table))
        # The quarantine check judges the whole table either way.
        assert quarantine_check(last) == quarantine_check(rebuilt)


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(history=st.lists(deliveries, min_size=1, max_size=5))
def test_incremental_payments_equal_a_full_rebuild(history: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lake = LakeResource(root=str(root / "incremental"))
        lake.replace_table("bronze", "payments", _frame([], 0, "none", bronze.PAYMENTS))
        refresh_entity(lake, PAYMENTS, PII, SilverRun("run-0"))
        for number, delivery in enumerate(history, start=1):
            deliver(lake, number, delivery, "payments")
            if delivery["silver_runs_after"]:
                refresh_entity(lake, PAYMENTS, PII, SilverRun(f"run-{number}"))
        refresh_entity(lake, PAYMENTS, PII, SilverRun("last"))

        shutil.copytree(root / "incremental" / "bronze", root / "full" / "bronze")
        full = LakeResource(root=str(root / "full"))
        refresh_entity(full, PAYMENTS, PII, SilverRun("full", full_refresh=True))

        for table in ("payments", "payments_quarantine"):
            assert_frame_equal(rows(lake, table), rows(full, table))


# --- worked examples ------------------------------------------------------------------------

DAY1, DAY2 = FIRST_DAY, FIRST_DAY + timedelta(days=1)


def _version(order_id: str, hour: int = 8, status: str = "paid", malformed: str | None = None):
    return {"order_id": order_id, "hour": hour, "status": status, "quantity": 1, "lines": 2,
            "malformed": malformed}  # fmt: skip


def _deliver_day(lake: LakeResource, batch: int, day: date, *versions: dict[str, Any]) -> None:
    deliver(lake, batch, {"kind": "day", "day": (day - FIRST_DAY).days, "versions": list(versions)})


def _metadata(results: list, table: str) -> dict[str, Any]:
    for result in results:
        if (
            getattr(result, "asset_key", None) == dg.AssetKey(["silver", table])
            and hasattr(result, "metadata")
            and not hasattr(result, "check_name")
        ):
            return {name: getattr(value, "value", value) for name, value in result.metadata.items()}
    raise AssertionError(f"no result for silver/{table}")


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    _deliver_day(lake, 1, DAY1, _version("O1"), _version("O2", malformed="created_at"))
    silver_run(lake, "run-1")
    return lake


def test_a_corrected_day_replaces_its_quarantine_rows_and_deletes_orders_left_without_a_version(
    lake: LakeResource,
) -> None:
    assert rows(lake, "orders_quarantine").get_column("order_id").to_list() == ["O2"]
    # The day is delivered again, corrected: O2 fixed, O1 no longer there.
    _deliver_day(lake, 2, DAY1, _version("O2"))

    results = refresh_entity(lake, ORDERS, PII, SilverRun("run-2"), ORDER_LINES)

    orders = _metadata(results, "orders")
    # batch-1 left bronze and batch-2 came: keys O1 and O2 are recomputed.
    read = (orders["refresh_mode"], orders["batches_read"], orders["keys_recomputed"])
    assert read == ("incremental", 2, 2)
    assert (orders["rows_in"], orders["rows_inserted"], orders["rows_deleted"]) == (1, 1, 1)
    assert rows(lake, "orders").get_column("order_id").to_list() == ["O2"]
    assert rows(lake, "order_lines").select("order_id", "line_number").rows() == [
        ("O2", 1), ("O2", 2)]  # fmt: skip
    assert rows(lake, "orders_quarantine").is_empty()  # batch-1's O2 row left bronze


def test_a_backfill_of_an_older_day_after_a_newer_one_keeps_the_newer_version(
    lake: LakeResource,
) -> None:
    _deliver_day(lake, 2, DAY2, _version("O1", status="shipped"))
    silver_run(lake, "run-2")
    # Day 1 is backfilled again later, with O1's older version.
    _deliver_day(lake, 3, DAY1, _version("O1", status="placed"))

    results = refresh_entity(lake, ORDERS, PII, SilverRun("run-3"), ORDER_LINES)

    assert _metadata(results, "orders")["refresh_mode"] == "incremental"
    assert rows(lake, "orders").select("order_id", "status").rows() == [("O1", "shipped")]


def test_a_day_of_new_orders_only_is_appended_and_a_late_version_merged(
    lake: LakeResource,
) -> None:
    before = lake.version("silver", "orders")
    _deliver_day(lake, 2, DAY2, _version("O3"))

    results = refresh_entity(lake, ORDERS, PII, SilverRun("run-2"), ORDER_LINES)

    # O3 is new to silver: one append, no merge reading silver's files.
    assert lake.commits_after("silver", "orders", before) == [(before + 1, "WRITE")]
    assert _metadata(results, "orders")["rows_inserted"] == 1
    assert rows(lake, "orders").get_column("order_id").to_list() == ["O1", "O3"]
    # The next day brings a later version of O1, a row silver holds: a merge.
    _deliver_day(lake, 3, DAY2 + timedelta(days=1), _version("O1", status="shipped"))
    refresh_entity(lake, ORDERS, PII, SilverRun("run-3"), ORDER_LINES)
    assert lake.commits_after("silver", "orders", before + 1) == [(before + 2, "MERGE")]
    assert rows(lake, "orders").select("order_id", "status").rows() == [
        ("O1", "shipped"), ("O3", "paid")]  # fmt: skip


def test_a_run_with_nothing_new_commits_nothing(lake: LakeResource) -> None:
    versions = {table: lake.version("silver", table) for table in TABLES}

    results = refresh_entity(lake, ORDERS, PII, SilverRun("run-2"), ORDER_LINES)

    assert _metadata(results, "orders")["refresh_mode"] == "unchanged"
    assert _metadata(results, "orders")["rows_in"] == 0
    assert {table: lake.version("silver", table) for table in TABLES} == versions


def test_a_silver_table_not_in_the_contract_is_rebuilt_and_says_why(lake: LakeResource) -> None:
    old = rows(lake, "orders").with_columns(pl.lit("x").alias("dropped_column"))
    lake.replace_table("silver", "orders", old)

    plan = plan_refresh(lake, ORDERS, SilverRun("run-2"), ORDER_LINES)

    assert (plan.mode, plan.reason) == (FULL, "silver.orders is missing or not in the contract")


@pytest.mark.parametrize(
    ("run_config", "tags"),
    [
        ({"ops": {"silver_orders_assets": {"config": {"full_refresh": True}}}}, {}),
        (None, {"retail/full_refresh": "true"}),
    ],
    ids=["run config", "run tag"],
)
def test_a_full_refresh_is_one_run_config_or_tag_away(
    lake: LakeResource, run_config: dict | None, tags: dict[str, str]
) -> None:
    result = dg.materialize(
        [silver_orders_assets],
        resources={"lake": lake, "pii_masking": PII},
        run_config=run_config,
        tags=tags,
    )

    assert result.success
    materialized = {
        event.materialization.asset_key: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    metadata = materialized[dg.AssetKey(["silver", "orders"])]
    assert metadata["refresh_mode"].value == "full"
    assert metadata["refresh_reason"].value == "full refresh requested"


def test_a_bad_day_keeps_warning_on_later_incremental_runs(lake: LakeResource) -> None:
    # The fixture's day 1 has O2 malformed: 1 of its 2 rows. Day 2 arrives clean.
    _deliver_day(lake, 2, DAY2, _version("O3"))

    results = refresh_entity(lake, ORDERS, PII, SilverRun("run-2"), ORDER_LINES)

    passed, severity, description, metadata = quarantine_check(results)
    assert (passed, severity) == (False, dg.AssetCheckSeverity.WARN)
    assert description.startswith("partition 2026-10-01: 1 of 2 rows quarantined (50.0%)")
    assert (metadata["rows_in"], metadata["rows_quarantined"]) == (3, 1)  # the whole table


@pytest.mark.parametrize(
    "entity_name", ["orders", "payments", "customers", "products", "reviews", "partners"]
)
def test_validation_reads_each_incremental_key_as_the_key_filter_does(entity_name: str) -> None:
    """The key filter compares trimmed text for these keys (transforms/silver/keys.py). If
    validation ever read a key differently (upper-cased, parsed), incremental runs would miss
    versions: this test fails first, and the entity needs its own key reader (composite keys
    with readers: test_incremental_files.py)."""
    entity = {
        "orders": ORDERS,
        "payments": PAYMENTS,
        "customers": customers.CUSTOMERS,
        "products": products.PRODUCTS,
        "reviews": reviews.REVIEWS,
        "partners": partners.PARTNERS,
    }[entity_name]
    contract, sample = BRONZE[entity_name]
    (key,) = entity.key
    # Padded, with a lower-case part: a reader that trimmed less or changed case would differ.
    padded = [row | {key: f"  {row[key]}-a\t"} for row in sample]
    frame = bronze_table(contract, padded).lazy()

    validated = entity.validate(PII.mask(frame, entity.bronze_table)).collect()
    expected = cleaned_keys(frame, [key]).collect().get_column(key).sort().to_list()

    assert validated.get_column(key).unique().sort().to_list() == expected
    assert expected == sorted({f"{row[key]}-a" for row in sample})
