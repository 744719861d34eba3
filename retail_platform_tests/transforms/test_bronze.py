"""Source records (API pages, documents) -> bronze frames: text as delivered, nothing dropped.

Delivered files are in test_bronze_files.py."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze
from retail_platform.transforms.bronze import (
    Ingestion,
    records_to_frame,
)

INGESTED_AT = datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC)
BATCH = Ingestion(source="rest:/v1/payments", batch_id="run-42", ingested_at=INGESTED_AT)
PAGE = "/v1/payments?page=3"
DAY = date(2026, 10, 1)

PAYMENT_COLUMNS = [
    "payment_id",
    "order_id",
    "amount",
    "currency",
    "method",
    "status",
    "created_at",
    "_partition_date",
    "_source",
    "_batch_id",
    "_ingested_at",
    "_source_key",
    "_error",
    "_raw",
]


def _payments(records: list[Any], **options: Any) -> pl.DataFrame:
    return records_to_frame(
        records, bronze.PAYMENTS, ingestion=BATCH, source_key=PAGE, partition_date=DAY, **options
    )


def _orders(records: list[Any]) -> pl.DataFrame:
    return records_to_frame(
        records,
        bronze.ORDERS,
        ingestion=BATCH,
        source_key=PAGE,
        required=("order_id", "updated_at"),
        json_columns={"lines"},
        partition_date=DAY,
    )


def _customers(records: list[Any]) -> pl.DataFrame:
    return records_to_frame(
        records,
        bronze.CUSTOMERS,
        ingestion=Ingestion("mongodb:customers", "run-44", INGESTED_AT),
        source_key="customer_service.customers",
        field_paths={"address_street": "address.street", "address_city": "address.city"},
        required=("customer_id",),
    )


# --- records_to_frame: values as text --------------------------------------------------------


def test_every_payload_value_becomes_the_text_it_was_delivered_as() -> None:
    record = {
        "payment_id": "P-1",
        "order_id": 2,
        "amount": 19.99,
        "currency": None,
        "method": True,
        "status": False,
        "created_at": "2026-10-01T10:00:00Z",
    }

    row = _payments([record]).row(0, named=True)

    assert row["payment_id"] == "P-1"
    assert row["order_id"] == "2"
    assert row["amount"] == "19.99"
    assert row["currency"] is None
    assert row["method"] == "true"
    assert row["status"] == "false"
    assert row["created_at"] == "2026-10-01T10:00:00Z"


def test_a_dict_or_list_in_a_text_column_becomes_its_json_text() -> None:
    record = {"payment_id": {"a": 1, "b": [1, 2]}, "order_id": ["O-1", "O-2"]}

    row = _payments([record]).row(0, named=True)

    assert row["payment_id"] == '{"a": 1, "b": [1, 2]}'
    assert row["order_id"] == '["O-1", "O-2"]'


def test_a_field_missing_from_the_record_is_null() -> None:
    row = _payments([{"payment_id": "P-1"}]).row(0, named=True)

    assert row["amount"] is None
    assert row["created_at"] is None


def test_field_paths_read_nested_values() -> None:
    document = {
        "customer_id": "C-1",
        "address": {"street": "Hauptstr. 1", "city": "Berlin"},
    }

    row = _customers([document]).row(0, named=True)

    assert row["address_street"] == "Hauptstr. 1"
    assert row["address_city"] == "Berlin"
    assert row["_error"] is None


def test_a_missing_nested_parent_gives_null() -> None:
    row = _customers([{"customer_id": "C-1"}]).row(0, named=True)

    assert row["address_street"] is None
    assert row["address_city"] is None
    assert row["customer_id"] == "C-1"


def test_a_nested_parent_of_the_wrong_shape_is_kept_as_an_error_row() -> None:
    document = {"customer_id": "C-1", "address": "Hauptstr. 1, Berlin"}

    row = _customers([document]).row(0, named=True)

    assert row["_error"] == "address: expected an object, got str"
    assert row["_raw"] == '{"address": "Hauptstr. 1, Berlin", "customer_id": "C-1"}'


# --- json_columns ----------------------------------------------------------------------------


def test_a_json_column_holds_the_json_encoding_of_the_delivered_list() -> None:
    record = {
        "order_id": "O-1",
        "updated_at": "2026-10-01T10:00:00Z",
        "lines": [{"product_id": "SKU-1", "quantity": 2}],
    }

    row = _orders([record]).row(0, named=True)

    assert row["lines"] == '[{"product_id": "SKU-1", "quantity": 2}]'
    assert json.loads(row["lines"]) == [{"product_id": "SKU-1", "quantity": 2}]


def test_a_string_delivered_where_a_list_belongs_stays_a_json_string() -> None:
    double_encoded = {"order_id": "O-1", "updated_at": "2026-10-01T10:00:00Z", "lines": "[1]"}
    real_list = {"order_id": "O-2", "updated_at": "2026-10-01T10:00:00Z", "lines": [1]}

    lines = _orders([double_encoded, real_list]).get_column("lines").to_list()

    assert lines == ['"[1]"', "[1]"]


def test_a_null_json_column_stays_null() -> None:
    record = {"order_id": "O-1", "updated_at": "2026-10-01T10:00:00Z", "lines": None}

    assert _orders([record]).get_column("lines").to_list() == [None]


# --- records_to_frame: malformed records -----------------------------------------------------


@pytest.mark.parametrize(("record", "raw"), [(5, "5"), ("oops", "oops"), ([1, 2], "[1, 2]")])
def test_a_record_that_is_not_an_object_becomes_an_error_row_with_null_payload(
    record: Any, raw: str
) -> None:
    frame = _payments([record])

    assert frame.height == 1
    row = frame.row(0, named=True)
    payload = ["payment_id", "order_id", "amount", "currency", "method", "status", "created_at"]
    assert [row[name] for name in payload] == [None] * 7
    assert row["_error"] == "record is not a JSON object"
    assert row["_raw"] == raw
    assert row["_batch_id"] == "run-42"


def test_a_record_missing_required_fields_keeps_its_values_and_names_them() -> None:
    record = {"payment_id": "P-1", "amount": 5, "order_id": ""}

    row = _payments([record], required=("payment_id", "order_id", "created_at")).row(0, named=True)

    assert row["payment_id"] == "P-1"
    assert row["amount"] == "5"
    assert row["_error"] == "missing required field(s): order_id, created_at"
    assert json.loads(row["_raw"]) == {"payment_id": "P-1", "amount": 5, "order_id": ""}


def test_well_formed_rows_have_null_error_and_raw() -> None:
    record = {"payment_id": "P-1", "order_id": "O-1"}

    row = _payments([record], required=("payment_id", "order_id")).row(0, named=True)

    assert row["_error"] is None
    assert row["_raw"] is None


def test_malformed_records_do_not_disturb_the_rows_around_them() -> None:
    records: list[Any] = [{"payment_id": "P-1"}, "oops", {"payment_id": "P-3"}]

    frame = _payments(records, required=("payment_id",))

    assert frame.get_column("payment_id").to_list() == ["P-1", None, "P-3"]
    assert frame.get_column("_error").to_list() == [None, "record is not a JSON object", None]


# --- records_to_frame: ingestion columns and schema ------------------------------------------


def test_every_row_carries_the_ingestion_columns() -> None:
    frame = _payments([{"payment_id": "P-1"}, {"payment_id": "P-2"}])

    assert frame.get_column("_source").to_list() == ["rest:/v1/payments"] * 2
    assert frame.get_column("_batch_id").to_list() == ["run-42"] * 2
    assert frame.get_column("_source_key").to_list() == [PAGE] * 2
    assert frame.get_column("_partition_date").to_list() == [date(2026, 10, 1)] * 2
    assert (
        frame.get_column("_ingested_at").to_list()
        == [datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC)] * 2
    )


def test_ingested_at_is_stored_in_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    batch = Ingestion(
        "rest:/v1/payments", "run-42", datetime(2026, 10, 2, 5, 4, 5, tzinfo=berlin_summer)
    )

    frame = records_to_frame([{}], bronze.PAYMENTS, ingestion=batch, source_key=PAGE)

    assert frame.schema["_ingested_at"] == pl.Datetime("us", "UTC")
    assert frame.get_column("_ingested_at").item() == datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC)


def test_output_columns_are_the_contract_columns_in_order_with_contract_dtypes() -> None:
    frame = _payments([{"payment_id": "P-1", "unexpected": "ignored"}])

    assert frame.columns == PAYMENT_COLUMNS
    assert frame.schema == pl.Schema(
        {name: pl.String for name in PAYMENT_COLUMNS}
        | {"_partition_date": pl.Date, "_ingested_at": pl.Datetime("us", "UTC")}
    )


def test_an_unpartitioned_contract_gets_no_partition_date() -> None:
    frame = _customers([{"customer_id": "C-1"}])

    assert "_partition_date" not in frame.columns
    assert frame.columns[-6:] == [
        "_source",
        "_batch_id",
        "_ingested_at",
        "_source_key",
        "_error",
        "_raw",
    ]


def test_zero_records_give_an_empty_frame_with_the_contract_schema() -> None:
    frame = _payments([])

    assert frame.height == 0
    assert frame.columns == PAYMENT_COLUMNS
    assert frame.schema["_partition_date"] == pl.Date
    assert frame.schema["_ingested_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["payment_id"] == pl.String
