"""MongoDB -> bronze, incremental on (updated_at, _id), through the embedded emulation.

Each test uses a seed of its own: the emulated database is shared per (seed, scale) in the
process, and these tests change documents.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.assets.bronze.mongo import bronze_customers, bronze_reviews
from retail_platform.local.generator import generate
from retail_platform.local.mongo import EmbeddedMongoResource
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.bronze.drops import metadata_of

LATER = "2026-11-01T00:00:00Z"


def _run(
    asset: dg.AssetsDefinition, db: EmbeddedMongoResource, lake: LakeResource, **config: object
) -> dict[str, object]:
    run_config = {"ops": {asset.op.name: {"config": config}}} if config else None
    result = dg.materialize(
        [asset], resources={"customer_db": db, "lake": lake}, run_config=run_config
    )
    assert result.success
    return metadata_of(result, asset.key.path[-1])


def test_changes_only_after_the_first_load_soft_deletes_and_ties_included(tmp_path: Path) -> None:
    db = EmbeddedMongoResource(seed=101, scale=0.02, batch_size=15)
    lake = LakeResource(root=str(tmp_path / "lake"))
    customers = db.get_client()["retail"]["customers"]

    first = _run(bronze_customers, db, lake)
    # 40 customers in batches of 15, 15 and 10: one commit each (the first replaces the table).
    assert (first["rows"], first["batches"], first["mode"]) == (40, 3, "full snapshot")
    assert lake.version("bronze", "customers") == 2
    assert _run(bronze_customers, db, lake)["rows"] == 0  # nothing changed: nothing read

    customers.update_one({"_id": "C000005"}, {"$set": {"is_deleted": True, "updated_at": LATER}})
    deleted = _run(bronze_customers, db, lake)
    assert (deleted["rows"], deleted["soft_deleted_versions"]) == (1, 1)
    assert deleted["watermark"] == f"updated_at={LATER} _id=C000005"

    # A document written later with the same updated_at and a greater _id is still found.
    customers.insert_one({"_id": "C999999", "customer_id": "C999999", "updated_at": LATER})
    tie = _run(bronze_customers, db, lake)
    assert tie["rows"] == 1 and tie["watermark"] == f"updated_at={LATER} _id=C999999"

    customers.insert_one(
        {"_id": "C999998", "customer_id": "C999998", "address": "12 Main St",
         "updated_at": "2026-11-02T00:00:00Z"}
    )  # fmt: skip
    malformed = _run(bronze_customers, db, lake)
    assert (malformed["rows"], malformed["malformed_records"]) == (1, 1)

    bronze = lake.scan("bronze", "customers").collect()
    assert bronze.height == 43
    assert bronze.get_column("_source_key").n_unique() == 42  # C000005 twice: two versions
    latest_c5 = (
        bronze.filter(pl.col("customer_id") == "C000005").sort("updated_at").row(-1, named=True)
    )
    assert latest_c5["is_deleted"] == "true"
    assert latest_c5["_source_key"] == 'retail.customers/"C000005"'
    broken = bronze.filter(pl.col("customer_id") == "C999998").row(0, named=True)
    assert broken["_error"] == "address: expected an object, got str"
    assert '"address": "12 Main St"' in broken["_raw"]


def test_full_refresh_replaces_the_table_with_the_collection_as_it_is(tmp_path: Path) -> None:
    db = EmbeddedMongoResource(seed=102, scale=0.02)
    lake = LakeResource(root=str(tmp_path / "lake"))
    _run(bronze_customers, db, lake)
    db.get_client()["retail"]["customers"].delete_one({"_id": "C000001"})  # a hard delete

    assert _run(bronze_customers, db, lake)["rows"] == 0  # invisible to an incremental read
    refreshed = _run(bronze_customers, db, lake, full_refresh=True)

    assert refreshed["rows"] == 39
    ids = lake.scan("bronze", "customers").collect().get_column("customer_id")
    assert "C000001" not in ids.to_list() and ids.len() == 39


def test_reviews_land_with_their_text_and_rating_as_delivered(tmp_path: Path) -> None:
    db = EmbeddedMongoResource(seed=103, scale=0.02)
    lake = LakeResource(root=str(tmp_path / "lake"))

    metadata = _run(bronze_reviews, db, lake)

    expected = generate(seed=103, scale=0.02).reviews
    rows = lake.scan("bronze", "reviews").sort("review_id").collect()
    assert metadata["rows"] == len(expected) == rows.height == 30
    first = min(expected, key=lambda review: review["review_id"])
    assert rows.row(0, named=True) | {"_batch_id": None, "_ingested_at": None} == {
        "review_id": first["review_id"],
        "customer_id": first["customer_id"],
        "product_id": first["product_id"],
        "rating": str(first["rating"]),
        "text": first["text"],
        "created_at": first["created_at"],
        "updated_at": first["updated_at"],
        "_source": "mongodb:reviews",
        "_batch_id": None,
        "_ingested_at": None,
        "_source_key": f'retail.reviews/"{first["review_id"]}"',
        "_error": None,
        "_raw": None,
    }


def test_a_new_field_reaches_bronze_and_stops_silver_and_mixed_ids_keep_the_watermark(
    tmp_path: Path,
) -> None:
    from retail_platform.assets.silver.customers import silver_customers_assets
    from retail_platform.resources.pii import PiiMaskingResource

    db = EmbeddedMongoResource(seed=104, scale=0.02)
    lake = LakeResource(root=str(tmp_path / "lake"))
    customers = db.get_client()["retail"]["customers"]
    _run(bronze_customers, db, lake)
    # Two documents of one instant whose _ids are an int and a string, one with a new field.
    customers.insert_many(
        [
            {"_id": 7, "customer_id": "N7", "updated_at": LATER, "national_id": "756.1"},
            {
                "_id": "N8",
                "customer_id": "N8",
                "updated_at": LATER,
                "address": {"city": "Ulm", "geo": {"lat": 48.4}},
            },
        ]
    )

    first = _run(bronze_customers, db, lake)
    again = _run(bronze_customers, db, lake)  # used to raise TypeError: 'str' > 'int'

    assert first["rows"] == 2 and first["watermark"] == f"updated_at={LATER} _id=N8"
    assert again["rows"] == 0
    stored = lake.scan("bronze", "customers").filter(pl.col("customer_id") == "N7").collect()
    assert stored.get_column("national_id").to_list() == ["756.1"]
    n8 = lake.scan("bronze", "customers").filter(pl.col("customer_id") == "N8").collect()
    assert n8.get_column("address_geo").to_list() == ['{"lat": 48.4}']
    result = dg.materialize(
        [silver_customers_assets],
        resources={"lake": lake, "pii_masking": PiiMaskingResource(hmac_secret="k")},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert "column(s) not classified in the PII policy: national_id, address_geo" in (
        failure.step_failure_data.error.cause.message
    )


def test_a_nested_field_of_the_wrong_type_is_quarantined_in_silver_with_its_reason(
    tmp_path: Path,
) -> None:
    from retail_platform.assets.silver.customers import silver_customers_assets
    from retail_platform.resources.pii import PiiMaskingResource

    db = EmbeddedMongoResource(seed=105, scale=0.02)
    lake = LakeResource(root=str(tmp_path / "lake"))
    db.get_client()["retail"]["customers"].insert_one(
        {"_id": "Z1", "customer_id": "Z1", "updated_at": LATER, "created_at": LATER,
         "is_deleted": False, "address": {"city": {"name": "Ulm"}, "country": "DE"}}
    )  # fmt: skip
    _run(bronze_customers, db, lake)

    result = dg.materialize(
        [silver_customers_assets],
        resources={"lake": lake, "pii_masking": PiiMaskingResource(hmac_secret="k")},
    )

    assert result.success
    quarantined = lake.scan("silver", "customers_quarantine").collect()
    reasons = quarantined.filter(pl.col("customer_id") == "Z1").get_column("_quarantine_reason")
    assert reasons.to_list() == ["_error: address.city: expected one value, got an object"]
    assert "Z1" not in lake.scan("silver", "customers").collect().get_column("customer_id")
