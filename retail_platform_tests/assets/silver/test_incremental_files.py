"""Property: incremental silver partners, partner sales and inventory equal one full rebuild.

These three are fed by S3 objects (assets/bronze/s3.py): each ingestion run is one batch that
replaces whole objects by key, several in one commit. The generated histories re-deliver
objects (a batch loses some of its rows to a newer one), deliver older snapshots after newer
ones, give batches tied or decreasing ingestion times (the version of these entities), and
carry padded keys, lower-case invoice numbers, padded snapshot dates, malformed values and
rejected files. Partner sales are read with one partner whose listed date formats make a
file's dates depend on the whole file (transforms/silver/feed_values.py).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.incremental import FULL, plan_refresh, refresh_entity
from retail_platform.assets.silver.inventory import INVENTORY, silver_inventory_assets
from retail_platform.assets.silver.partners import (
    PARTNER_SALES,
    PARTNERS,
    silver_partner_sales_assets,
    silver_partners_assets,
)
from retail_platform.assets.silver.run_mode import SilverRun
from retail_platform.contracts import bronze
from retail_platform.feeds.profiles import PROFILES_PATH, parse_profiles
from retail_platform.quality.quarantine import QUARANTINE_CHECK
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.incremental import cleaned_keys
from retail_platform.transforms.silver.partner_sales import validate_partner_sales
from retail_platform_tests.assets.silver.small_lake import write_bronze

START = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
PII = PiiMaskingResource(hmac_secret="property-test")
# Day first or month first: a file of dates that read both ways is ambiguous (quarantined);
# one date that reads only one way decides the file's format.
AMBIGUOUS_PARTNER = "PTN-DM"
_DOCUMENT = yaml.safe_load(PROFILES_PATH.read_text(encoding="utf-8"))
_DOCUMENT["partners"][AMBIGUOUS_PARTNER] = {"date_formats": ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]}
PROFILES = parse_profiles(_DOCUMENT)
SALES = replace(PARTNER_SALES, validate=lambda rows: validate_partner_sales(rows, PROFILES))

partners = st.fixed_dictionaries(
    {
        "partner_id": st.sampled_from(["PTN01", " PTN01", "PTN02"]),
        "name": st.sampled_from(["Harbour", "Pine"]),
        "country": st.sampled_from(["GB", "nl", "G1"]),
        "commission_rate": st.sampled_from(["0.12", "0.5", "1.5", "abc"]),
        "contact_email": st.sampled_from(["a@harbour.example", None]),
        "onboarded_at": st.sampled_from(["2024-03-01", "03/01/2024"]),
    }
)
sales = st.fixed_dictionaries(
    {
        "invoice_no": st.sampled_from(["536365", " 536365", "c536366", "C536366", "53x!"]),
        "stock_code": st.sampled_from(["SKU-1", "SKU-1 ", "SKU-2"]),
        "description": st.just("MUG"),
        "quantity": st.sampled_from(["6", "-2", "0", "x"]),
        "invoice_date": st.sampled_from(
            ["01/10/2026 08:00", "13/10/2026 08:00", "10/13/2026 08:00", "2026-10-02T09:00:00"]
        ),
        "unit_price": st.sampled_from(["9.00", "4.5", "1.23456"]),
        "partner_customer_id": st.sampled_from(["17850", ""]),
        "country": st.just("United Kingdom"),
    }
)
stock = st.fixed_dictionaries(
    {
        "snapshot_date": st.sampled_from(["2026-10-01", " 2026-10-01", "2026-10-02", "01/10/2026"]),
        "warehouse_id": st.sampled_from(["WH1", " WH1", "WH2"]),
        "sku": st.sampled_from(["SKU-1", "SKU-2"]),
        "on_hand": st.sampled_from(["40", "3", "x"]),
        "reserved": st.sampled_from(["5", "-1"]),
        "reorder_point": st.just("20"),
    }
)
# Per entity: the silver entity, the bronze contract, its rows, its objects (key -> constants).
FEEDS: dict[str, tuple[SilverEntity, Any, Any, list[tuple[str, dict[str, str]]]]] = {
    "partners": (PARTNERS, bronze.PARTNERS, partners, [
        ("partners/partners.json", {}), ("partners/more.json", {})]),
    "partner_sales": (SALES, bronze.PARTNER_SALES, sales, [
        ("partner_sales/PTN01/2026-10-01.csv", {"partner_id": "PTN01"}),
        (f"partner_sales/{AMBIGUOUS_PARTNER}/2026-10-01.csv", {"partner_id": AMBIGUOUS_PARTNER}),
        (f"partner_sales/{AMBIGUOUS_PARTNER}/2026-10-02.csv", {"partner_id": AMBIGUOUS_PARTNER}),
    ]),
    "inventory": (INVENTORY, bronze.INVENTORY, stock, [
        ("inventory/stock_2026-10-01.parquet", {}), ("inventory/stock_2026-10-02.parquet", {}),
        ("inventory/stock_backfill.parquet", {})]),
}  # fmt: skip


def deliveries(feed: str) -> st.SearchStrategy[dict[str, Any]]:
    """One ingestion run: some objects (re)delivered, one possibly rejected whole."""
    _, _, rows, objects = FEEDS[feed]
    return st.fixed_dictionaries(
        {
            "objects": st.dictionaries(
                st.integers(0, len(objects) - 1), st.lists(rows, max_size=3), min_size=1,
                max_size=2,
            ),
            "rejected": st.sampled_from([False, False, False, True]),
            "minute": st.integers(0, 3),  # ingestion times tie and go backwards
            "silver_runs_after": st.booleans(),
        }
    )  # fmt: skip


def bronze_frame(
    feed: str,
    objects: dict[int, list[dict[str, Any]]],
    batch: str,
    minute: int,
    rejected: bool = False,
) -> tuple[pl.DataFrame, list[str]]:
    """The batch's bronze rows as the S3 ingestion writes them, and the object keys."""
    _, contract, _, known = FEEDS[feed]
    rows, keys = [], []
    for number, (index, payloads) in enumerate(sorted(objects.items())):
        name, constants = known[index]
        key = f"s3://drops/{name}"
        keys.append(key)
        ingestion = {"_source": f"s3:{feed}", "_batch_id": batch, "_source_key": key,
                     "_ingested_at": START + timedelta(minutes=minute), "_error": None,
                     "_raw": None}  # fmt: skip
        if rejected and number == 0:  # the file could not be read: one error row names it
            error = {"_error": f"rejected file {key}: bad encoding", "_raw": "AAEC"}
            rows.append(ingestion | error)
            continue
        rows.extend(payload | constants | ingestion for payload in payloads)
    names = contract.column_names
    frame = pl.DataFrame(
        [{name: row.get(name) for name in names} for row in rows], schema=contract.polars_schema
    )
    return frame, keys


def deliver(lake: LakeResource, feed: str, number: int, delivery: dict[str, Any]) -> None:
    frame, keys = bronze_frame(
        feed, delivery["objects"], f"batch-{number}", delivery["minute"], delivery["rejected"]
    )
    lake.replace_keys("bronze", FEEDS[feed][1].name, frame, "_source_key", keys)


def rows(lake: LakeResource, table: str) -> pl.DataFrame:
    frame = lake.scan("silver", table).collect()
    return frame.sort(frame.columns, nulls_last=True)


def quarantine_check(results: list) -> tuple:
    (check,) = [r for r in results if getattr(r, "check_name", None) == QUARANTINE_CHECK]
    metadata = {name: getattr(value, "value", value) for name, value in check.metadata.items()}
    return check.passed, check.severity, check.description, metadata


def _histories(feed: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(deliveries(feed), min_size=1, max_size=5)


@pytest.mark.parametrize("feed", list(FEEDS))
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    # No shrinking: it replays Delta writes for minutes; a failure prints its history as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_incremental_runs_of_s3_fed_tables_equal_a_full_rebuild(feed: str, data: Any) -> None:
    history = data.draw(_histories(feed), label="history")
    entity, contract, _, _ = FEEDS[feed]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lake = LakeResource(root=str(root / "incremental"))
        lake.replace_table("bronze", contract.name, bronze_frame(feed, {}, "batch-0", 0)[0])
        refresh_entity(lake, entity, PII, SilverRun("run-0"))  # no progress yet: a full build
        for number, delivery in enumerate(history, start=1):
            deliver(lake, feed, number, delivery)
            if delivery["silver_runs_after"]:
                refresh_entity(lake, entity, PII, SilverRun(f"run-{number}"))
        assert plan_refresh(lake, entity, SilverRun("last"), None).mode != FULL
        last = refresh_entity(lake, entity, PII, SilverRun("last"))

        shutil.copytree(root / "incremental" / "bronze", root / "full" / "bronze")
        full = LakeResource(root=str(root / "full"))
        rebuilt = refresh_entity(full, entity, PII, SilverRun("full", full_refresh=True))

        for table in (entity.silver.name, entity.quarantine.name):
            assert_frame_equal(rows(lake, table), rows(full, table))
        assert quarantine_check(last) == quarantine_check(rebuilt)


# --- worked examples ------------------------------------------------------------------------


def _sale(invoice_no: str, stock_code: str, quantity: str, invoice_date: str) -> dict[str, Any]:
    return {"invoice_no": invoice_no, "stock_code": stock_code, "description": "MUG",
            "quantity": quantity, "invoice_date": invoice_date, "unit_price": "9.00",
            "partner_customer_id": "", "country": "United Kingdom"}  # fmt: skip


def _stock(snapshot_date: str, on_hand: str, reserved: str) -> dict[str, Any]:
    return {"snapshot_date": snapshot_date, "warehouse_id": "WH1", "sku": "SKU-1",
            "on_hand": on_hand, "reserved": reserved, "reorder_point": "20"}  # fmt: skip


def _metadata(results: list, table: str) -> dict[str, Any]:
    for result in results:
        key = getattr(result, "asset_key", None)
        if key is not None and key.path == ["silver", table] and not hasattr(result, "check_name"):
            return {name: getattr(value, "value", value) for name, value in result.metadata.items()}
    raise AssertionError(f"no result for silver/{table}")


def _start(lake: LakeResource, feed: str) -> None:
    contract = FEEDS[feed][1]
    lake.replace_table("bronze", contract.name, bronze_frame(feed, {}, "batch-0", 0)[0])
    refresh_entity(lake, FEEDS[feed][0], PII, SilverRun("run-0"))


def test_a_re_delivered_stock_file_replaces_its_quarantine_rows(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    _start(lake, "inventory")
    # The 1 October file: WH1/SKU-1 counted, and a row with a negative reservation.
    bad = _stock("2026-10-01", "7", "-1")
    deliver(lake, "inventory", 1, {"objects": {0: [_stock("2026-10-01", "40", "5"), bad]},
                                   "rejected": False, "minute": 1})  # fmt: skip
    refresh_entity(lake, INVENTORY, PII, SilverRun("run-1"))
    # The same file delivered again, corrected count, same bad row.
    deliver(lake, "inventory", 2, {"objects": {0: [_stock("2026-10-01", "30", "5"), bad]},
                                   "rejected": False, "minute": 2})  # fmt: skip

    results = refresh_entity(lake, INVENTORY, PII, SilverRun("run-2"))

    metadata = _metadata(results, "inventory")
    # batch-1 left bronze and batch-2 came; only batch-2's two rows are read and validated.
    assert (metadata["refresh_mode"], metadata["batches_read"]) == ("incremental", 2)
    assert (metadata["rows_in"], metadata["rows_quarantined"]) == (2, 1)
    assert rows(lake, "inventory").select("on_hand", "available").rows() == [(30, 25)]
    quarantined = rows(lake, "inventory_quarantine")
    assert quarantined.select("reserved", "_batch_id").rows() == [("-1", "batch-2")]


def test_a_backfilled_snapshot_with_a_padded_date_replaces_the_same_stock_row(
    tmp_path: Path,
) -> None:
    lake = LakeResource(root=str(tmp_path))
    _start(lake, "inventory")
    deliver(lake, "inventory", 1, {"objects": {1: [_stock("2026-10-02", "8", "0")]},
                                   "rejected": False, "minute": 1})  # fmt: skip
    deliver(lake, "inventory", 2, {"objects": {0: [_stock("2026-10-01", "40", "5")]},
                                   "rejected": False, "minute": 2})  # fmt: skip
    refresh_entity(lake, INVENTORY, PII, SilverRun("run-1"))
    # A backfill of 1 October, ingested later, writes the date padded: the same key.
    deliver(lake, "inventory", 3, {"objects": {2: [_stock(" 2026-10-01 ", "12", "2")]},
                                   "rejected": False, "minute": 3})  # fmt: skip

    results = refresh_entity(lake, INVENTORY, PII, SilverRun("run-2"))

    assert _metadata(results, "inventory")["keys_recomputed"] == 1
    assert rows(lake, "inventory").select("snapshot_date", "on_hand").rows() == [
        (date(2026, 10, 1), 12), (date(2026, 10, 2), 8)]  # fmt: skip


def test_an_older_sales_line_is_read_with_its_whole_file_s_date_format(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    _start(lake, "partner_sales")
    # 13/10 reads only day first, so the whole file is day first: 01/10 is 1 October.
    day_first = [_sale("536365", "SKU-1", "6", "01/10/2026 08:00"),
                 _sale("536366", "SKU-2", "1", "13/10/2026 08:00")]  # fmt: skip
    deliver(lake, "partner_sales", 1, {"objects": {1: day_first}, "rejected": False, "minute": 1})
    refresh_entity(lake, SALES, PII, SilverRun("run-1"))
    # A later file repeats line 536365/SKU-1, then is re-delivered with a broken quantity:
    # quarantined, so the line is recomputed from its older version, which alone (01/10
    # reads both ways) would be ambiguous.
    newer = [_sale("536365", "SKU-1", "7", "02/10/2026 08:00")]
    deliver(lake, "partner_sales", 2, {"objects": {2: newer}, "rejected": False, "minute": 2})
    refresh_entity(lake, SALES, PII, SilverRun("run-2"))
    broken = [_sale("536365", "SKU-1", "x", "02/10/2026 08:00")]
    deliver(lake, "partner_sales", 3, {"objects": {2: broken}, "rejected": False, "minute": 3})

    results = refresh_entity(lake, SALES, PII, SilverRun("run-3"))

    assert _metadata(results, "partner_sales")["keys_read_from_all_versions"] == 1
    line = rows(lake, "partner_sales").filter(pl.col("invoice_no") == "536365")
    assert line.select("quantity", "invoice_at").rows() == [
        (6, datetime(2026, 10, 1, 8, 0, tzinfo=UTC))]  # fmt: skip
    assert rows(lake, "partner_sales_quarantine").get_column("quantity").to_list() == ["x"]


@pytest.mark.parametrize(
    ("feed", "delivered", "expected"),
    [
        ("partner_sales", {"partner_id": "PTN01", "invoice_no": "  c536366\t",
                           "stock_code": " SKU-1 "}, ("PTN01", "C536366", "SKU-1")),
        ("inventory", {"snapshot_date": " 2026-10-01 ", "warehouse_id": "WH1\t",
                       "sku": "  SKU-1"}, (date(2026, 10, 1), "WH1", "SKU-1")),
    ],
)  # fmt: skip
def test_validation_reads_a_composite_key_as_the_key_filter_does(
    feed: str, delivered: dict[str, str], expected: tuple
) -> None:
    entity = FEEDS[feed][0]
    # The other values valid; bronze_frame keeps only the contract's columns.
    payload = {"quantity": "-1", "unit_price": "1", "invoice_date": "2026-10-01",
               "country": "United Kingdom", "on_hand": "1", "reserved": "0",
               "reorder_point": "0"} | delivered  # fmt: skip
    frame, _ = bronze_frame(feed, {0: [payload]}, "batch-1", 0)

    validated = entity.validate(PII.mask(frame.lazy(), entity.bronze_table)).collect()
    filtered = cleaned_keys(frame.lazy(), entity.key, entity.key_readers).collect()

    assert validated.select(entity.key).rows() == [expected]
    assert filtered.rows() == [expected]


def test_the_s3_fed_silver_assets_refresh_incrementally_or_in_full_on_the_tag(
    tmp_path: Path,
) -> None:
    lake = LakeResource(root=str(tmp_path))
    write_bronze(lake)
    assets = [silver_partners_assets, silver_partner_sales_assets, silver_inventory_assets]
    resources = {"lake": lake, "pii_masking": PII}

    tagged = dg.materialize(assets, resources=resources, tags={"retail/full_refresh": "true"})
    again = dg.materialize(assets, resources=resources)

    def modes(result: dg.ExecuteInProcessResult) -> dict[str, tuple[str, str]]:
        return {
            event.materialization.asset_key.path[-1]: (
                event.materialization.metadata["refresh_mode"].value,
                event.materialization.metadata["refresh_reason"].value,
            )
            for event in result.get_asset_materialization_events()
            if event.materialization.asset_key.path[-1]
            in {"partners", "partner_sales", "inventory"}
        }

    requested = ("full", "full refresh requested")
    assert modes(tagged) == dict.fromkeys(("partners", "partner_sales", "inventory"), requested)
    assert {table: mode for table, (mode, _) in modes(again).items()} == dict.fromkeys(
        ("partners", "partner_sales", "inventory"), "unchanged"
    )
