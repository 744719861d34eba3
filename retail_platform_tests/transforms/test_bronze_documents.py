"""MongoDB documents -> bronze: every field kept, nested ones included; a field of the wrong
shape is kept and named in `_error`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import polars as pl
from bson import ObjectId

from retail_platform.contracts import bronze
from retail_platform.transforms.bronze import Ingestion
from retail_platform.transforms.bronze_documents import (
    document_id_of,
    documents_to_frame,
    unmapped_fields,
)

BATCH = Ingestion("mongodb:customers", "run-7", datetime(2026, 11, 1, tzinfo=UTC))
PATHS = {"address_city": "address.city", "address_country": "address.country"}


def _frame(*documents: dict[str, Any]) -> pl.DataFrame:
    return documents_to_frame(
        list(documents),
        bronze.CUSTOMERS,
        ingestion=BATCH,
        collection="retail.customers",
        field_paths=PATHS,
        required=("customer_id",),
    )


def test_each_document_keeps_its_id_in_the_source_key_and_it_reads_back() -> None:
    oid = ObjectId("6543a1b2c3d4e5f601234567")
    documents = [{"_id": oid, "review_id": "R1", "rating": 5}, {"_id": "R2", "review_id": "R2"}]

    frame = documents_to_frame(
        documents,
        bronze.REVIEWS,
        ingestion=BATCH,
        collection="retail.reviews",
        required=("review_id",),
    )

    keys = frame.get_column("_source_key").to_list()
    assert keys == ['retail.reviews/{"$oid": "6543a1b2c3d4e5f601234567"}', 'retail.reviews/"R2"']
    assert document_id_of("retail.reviews", keys[0]) == oid
    assert document_id_of("retail.reviews", keys[1]) == "R2"
    assert frame.get_column("rating").to_list() == ["5", None]


def test_unknown_fields_top_level_and_nested_become_columns_named_by_their_path() -> None:
    frame = _frame(
        {"_id": "C1", "customer_id": "C1", "national_id": "756.1234.5678.97",
         "address": {"city": "Bern", "geo": {"lat": 46.9, "lon": 7.4}}},
        {"_id": "C2", "customer_id": "C2", "address": {"city": "Basel"}},
    )  # fmt: skip

    assert frame.columns == [*bronze.CUSTOMERS.column_names, "national_id", "address_geo"]
    assert frame.select("customer_id", "address_city", "national_id", "address_geo").rows() == [
        ("C1", "Bern", "756.1234.5678.97", '{"lat": 46.9, "lon": 7.4}'),
        ("C2", "Basel", None, None),
    ]
    assert frame.get_column("_error").to_list() == [None, None]


def test_an_object_where_one_value_belongs_is_kept_as_json_and_named_in_the_error() -> None:
    document = {"_id": "C3", "customer_id": "C3", "address": {"city": {"name": "Zug"}}}

    row = _frame(document).row(0, named=True)

    assert row["address_city"] == '{"name": "Zug"}'
    assert row["_error"] == "address.city: expected one value, got an object"
    assert json.loads(row["_raw"]) == document
    assert "address_city_name" not in _frame(document).columns  # not taken apart


def test_a_list_in_a_top_level_field_is_named_too() -> None:
    row = _frame({"_id": 1, "customer_id": "C4", "email": ["a@x.example", "b@x.example"]}).row(
        0, named=True
    )

    assert row["_error"] == "email: expected one value, got a list"
    assert row["_source_key"] == "retail.customers/1"


def test_unmapped_fields_walk_only_into_parents_of_mapped_fields() -> None:
    document = {
        "_id": "C5",
        "customer_id": "C5",
        "address": {"city": "Chur", "floor": 3},
        "consent": {"marketing": True},  # no mapped path under consent here: kept whole
        "tags": ["vip"],
    }

    assert unmapped_fields(document, ["customer_id", *PATHS.values()]) == [
        ("address.floor", 3),
        ("consent", {"marketing": True}),
        ("tags", ["vip"]),
    ]
