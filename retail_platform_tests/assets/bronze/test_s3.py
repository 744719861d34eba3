"""S3 partner files -> bronze over the real moto_server: per-object idempotency, corrections,
schema drift, rejected files, gzip, Parquet and JSON, and the manifest."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.bronze.s3 import (
    bronze_inventory,
    bronze_partner_sales,
    bronze_partners,
    bronze_products,
)
from retail_platform.local.stack import StackState
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform_tests.assets.bronze.drops import (
    UCI_HEADER,
    fresh_drops,
    metadata_of,
    sales_csv,
)

pytestmark = pytest.mark.integration

A, B = "partner_sales/PTN01/2026-10-01.csv", "partner_sales/PTN02/2026-10-01.csv"


@pytest.fixture
def drops(local_stack: StackState) -> Iterator[PartnerDropsResource]:
    with fresh_drops(local_stack) as resource:
        yield resource


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def _ingest(
    asset: dg.AssetsDefinition, drops: PartnerDropsResource, lake: LakeResource, **config: object
) -> dg.ExecuteInProcessResult:
    run_config = {"ops": {asset.op.name: {"config": config}}} if config else None
    result = dg.materialize(
        [asset], resources={"partner_drops": drops, "lake": lake}, run_config=run_config
    )
    assert result.success
    return result


def _sales(lake: LakeResource) -> pl.DataFrame:
    return lake.scan("bronze", "partner_sales").sort("_source_key", "invoice_no").collect()


def test_the_same_object_delivered_twice_is_ingested_once(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    drops.put_bytes(A, sales_csv("1,SKU-1,Mug,2,10/1/2026 9:00,4.50,,EIRE", "2,SKU-2,Cup,1,x,1,,"))
    drops.put_bytes(B, sales_csv("3,SKU-3,Bowl,6,10/1/2026 9:30,2.00,12346,France"))

    first = metadata_of(_ingest(bronze_partner_sales, drops, lake), "partner_sales")
    version = lake.version("bronze", "partner_sales")
    again = metadata_of(_ingest(bronze_partner_sales, drops, lake), "partner_sales")

    assert (first["objects_ingested"], first["rows"]) == (2, 3)
    assert (again["objects_ingested"], again["objects_unchanged"], again["rows"]) == (0, 2, 0)
    assert lake.version("bronze", "partner_sales") == version  # not even an empty commit
    assert _sales(lake).get_column("invoice_no").to_list() == ["1", "2", "3"]
    assert _sales(lake).get_column("partner_id").to_list() == ["PTN01", "PTN01", "PTN02"]


def test_a_corrected_object_replaces_its_own_rows_and_nothing_else(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    drops.put_bytes(A, sales_csv("1,SKU-1,Mug,2,10/1/2026 9:00,4.50,,EIRE", "2,SKU-2,Cup,1,x,1,,"))
    drops.put_bytes(B, sales_csv("3,SKU-3,Bowl,6,10/1/2026 9:30,2.00,12346,France"))
    before = _ingest(bronze_partner_sales, drops, lake)

    drops.put_bytes(A, sales_csv("1,SKU-1,Mug,5,10/1/2026 9:00,4.50,,EIRE"))  # the fix
    after = _ingest(bronze_partner_sales, drops, lake)

    assert metadata_of(after, "partner_sales")["objects_ingested"] == 1
    rows = _sales(lake).select("invoice_no", "quantity", "_batch_id").rows()
    assert rows == [("1", "5", after.run_id), ("3", "6", before.run_id)]
    manifest = lake.scan("bronze", "s3_manifest").sort("key").collect()
    assert manifest.select("key", "rows", "_batch_id").rows() == [
        (A, 1, after.run_id),
        (B, 1, before.run_id),
    ]
    assert manifest.get_column("etag").to_list() == [
        drops.read_object(A)[1].etag,
        drops.read_object(B)[1].etag,
    ]


def test_an_added_column_is_absorbed_and_a_missing_one_rejects_only_that_file(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    drops.put_bytes(A, sales_csv("1,SKU-1,Mug,2,10/1/2026 9:00,4.50,,EIRE"))
    _ingest(bronze_partner_sales, drops, lake)
    with_discount = UCI_HEADER + ",Discount %"
    no_quantity = "InvoiceNo,StockCode,Description,InvoiceDate,UnitPrice,CustomerID,Country"
    drifted, broken = "partner_sales/PTN02/2026-10-02.csv", "partner_sales/PTN03/2026-10-02.csv"
    drops.put_bytes(
        drifted, sales_csv("7,SKU-7,Lamp,1,10/2/2026 9:00,9.99,,France,10", header=with_discount)
    )
    drops.put_bytes(
        broken, sales_csv("8,SKU-8,Rug,10/2/2026 9:00,20.00,,France", header=no_quantity)
    )

    result = _ingest(bronze_partner_sales, drops, lake)

    rows = _sales(lake)
    assert rows.select("invoice_no", "discount").rows() == [("1", None), ("7", "10"), (None, None)]
    reason = (
        f"rejected file s3://{drops.bucket}/{broken}: CSV lacks required column(s): "
        "quantity (as quantity or Quantity)"
    )
    rejected = rows.filter(pl.col("_source_key").str.ends_with(broken))
    assert rejected.get_column("_error").to_list() == [reason]
    assert rejected.get_column("_raw").to_list() == [
        no_quantity + "\n8,SKU-8,Rug,10/2/2026 9:00,20.00,,France\n"
    ]
    metadata = metadata_of(result, "partner_sales")
    assert metadata["objects_ingested"] == 2 and metadata["objects_rejected"] == 1
    assert metadata["rejections"] == [reason]
    manifest = lake.scan("bronze", "s3_manifest").filter(pl.col("key") == broken).collect()
    assert manifest.select("status", "error").rows() == [("rejected", reason)]


def test_a_file_with_colliding_headers_or_bad_bytes_is_rejected_and_the_batch_lands(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    colliding = "partner_sales/PTN01/2026-10-03.csv"
    undecodable = "partner_sales/PTN02/2026-10-03.csv"
    good = "partner_sales/PTN03/2026-10-03.csv"
    drops.put_bytes(
        colliding,
        sales_csv("1,S,x,1,10/3/2026 9:00,1,,GB,a,b", header=UCI_HEADER + ",Note A,note_a"),
    )
    drops.put_bytes(
        undecodable, sales_csv("2,S,Caf\xe9,1,10/3/2026 9:00,1,,FR").replace(b"\xc3\xa9", b"\xe9")
    )
    drops.put_bytes(good, sales_csv("3,S,Mug,1,10/3/2026 9:00,1,,FR"))

    result = _ingest(bronze_partner_sales, drops, lake)

    uri = f"s3://{drops.bucket}/"
    position = len(f"{UCI_HEADER}\n2,S,Caf")  # where the latin-1 é sits
    reasons = [
        f"rejected file {uri}{colliding}: CSV headers collide: "
        "'Note A' and 'note_a' both become 'note_a'",
        f"rejected file {uri}{undecodable}: undecodable bytes: "
        f"not utf-8 at byte {position} (b'\\xe9')",
    ]
    metadata = metadata_of(result, "partner_sales")
    assert (metadata["objects_ingested"], metadata["objects_rejected"]) == (3, 2)
    assert metadata["rejections"] == reasons
    manifest = lake.scan("bronze", "s3_manifest").sort("key").collect()
    assert manifest.select("key", "status", "error").rows() == [
        (colliding, "rejected", reasons[0]),
        (undecodable, "rejected", reasons[1]),
        (good, "ingested", None),
    ]
    assert _sales(lake).filter(pl.col("_error").is_null()).get_column("invoice_no").to_list() == [
        "3"
    ]


def test_requested_keys_limit_the_run_to_exactly_those_objects(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    drops.put_bytes(A, sales_csv("1,SKU-1,Mug,2,10/1/2026 9:00,4.50,,EIRE"))
    drops.put_bytes(B, sales_csv("3,SKU-3,Bowl,6,10/1/2026 9:30,2.00,12346,France"))

    result = _ingest(bronze_partner_sales, drops, lake, keys=[B])

    assert metadata_of(result, "partner_sales")["objects_ingested"] == 1
    assert _sales(lake).get_column("invoice_no").to_list() == ["3"]


def test_gzipped_catalog_csv_is_read_like_a_plain_one(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    header = "product_id,sku,name,category,brand,unit_price,currency,active,updated_at"
    plain = f"{header}\nP1,SKU-1,Mug,kitchen,Acme,4.50,EUR,true,2026-09-01T00:00:00Z\n"
    gzipped = f"{header}\nP2,SKU-2,Cup,kitchen,Acme,3.00,EUR,false,2026-09-02T00:00:00Z\n"
    drops.put_bytes("catalog/products_2026-10-01.csv", plain.encode())
    drops.put_bytes("catalog/products_2026-10-02.csv.gz", gzip.compress(gzipped.encode()))
    drops.put_bytes("catalog/README.txt", b"not a catalog file")

    result = _ingest(bronze_products, drops, lake)

    rows = lake.scan("bronze", "products").sort("product_id").collect()
    assert rows.select("product_id", "unit_price", "active", "_error").rows() == [
        ("P1", "4.50", "true", None),
        ("P2", "3.00", "false", None),
    ]
    assert metadata_of(result, "products")["objects_listed"] == 2


def test_the_parquet_inventory_feed_lands_as_text(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    snapshot = pl.DataFrame(
        {
            "snapshot_date": [date(2026, 10, 1), date(2026, 10, 1)],
            "warehouse_id": ["WH-NL1", "WH-DE1"],
            "sku": ["SKU-1", None],
            "on_hand": pl.Series([42, 7], dtype=pl.Int32),
            "reserved": pl.Series([3, 0], dtype=pl.Int32),
            "reorder_point": pl.Series([10, 20], dtype=pl.Int32),
        }
    )
    buffer = io.BytesIO()
    snapshot.write_parquet(buffer)
    drops.put_bytes("inventory/stock_2026-10-01.parquet", buffer.getvalue())
    drops.put_bytes("inventory/stock_2026-10-02.parquet", b"PAR1 truncated")

    result = _ingest(bronze_inventory, drops, lake)

    rows = lake.scan("bronze", "inventory").sort("_source_key", "warehouse_id").collect()
    assert rows.select("snapshot_date", "warehouse_id", "sku", "on_hand", "_error").rows()[:2] == [
        ("2026-10-01", "WH-DE1", None, "7", "missing required field(s): sku"),
        ("2026-10-01", "WH-NL1", "SKU-1", "42", None),
    ]
    assert rows.row(1, named=True)["_raw"] is None
    assert json.loads(rows.row(0, named=True)["_raw"]) == [
        "2026-10-01",
        "WH-DE1",
        None,
        "7",
        "0",
        "20",
    ]
    broken = rows.row(2, named=True)
    assert broken["_error"].startswith(
        f"rejected file s3://{drops.bucket}/inventory/stock_2026-10-02.parquet: unreadable Parquet"
    )
    assert broken["_raw"] == "base64:UEFSMSB0cnVuY2F0ZWQ="
    metadata = metadata_of(result, "inventory")
    assert (metadata["rows"], metadata["malformed_records"], metadata["objects_rejected"]) == (
        3,
        2,
        1,
    )


def test_the_partner_directory_json_and_a_broken_one(
    drops: PartnerDropsResource, lake: LakeResource
) -> None:
    partners = [
        {"partner_id": "PTN01", "name": "Nordic Home", "country": "SE", "commission_rate": 0.12,
         "contact_email": "partners@nordic.example.com", "onboarded_at": "2024-02-01"},
        "not an object",
    ]  # fmt: skip
    drops.put_bytes("partners/partners.json", json.dumps(partners).encode())
    drops.put_bytes("partners/partners_v2.json", b'[{"partner_id": "PTN02",')

    _ingest(bronze_partners, drops, lake)

    rows = lake.scan("bronze", "partners").sort("_source_key", "partner_id").collect()
    assert rows.select("partner_id", "commission_rate", "_error", "_raw").rows()[:2] == [
        (None, None, "record is not a JSON object", "not an object"),
        ("PTN01", "0.12", None, None),
    ]
    broken = rows.row(2, named=True)
    assert broken["_error"].startswith(
        f"rejected file s3://{drops.bucket}/partners/partners_v2.json: unreadable JSON"
    )
    assert broken["_raw"] == '[{"partner_id": "PTN02",'
