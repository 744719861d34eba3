"""Delivered files (CSV, gzip, Parquet, JSON) -> bronze frames: text as delivered, a bad file
rejected by name, nothing dropped."""

from __future__ import annotations

import base64
import gzip
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze
from retail_platform.transforms.bronze import (
    Ingestion,
    csv_to_frame,
    drift_column_name,
    json_array_to_frame,
    parquet_to_frame,
    rejected_file_reason,
)

INGESTED_AT = datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC)
UCI_RENAME = {
    "InvoiceNo": "invoice_no",
    "StockCode": "stock_code",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "invoice_date",
    "UnitPrice": "unit_price",
    "CustomerID": "partner_customer_id",
    "Country": "country",
}
UCI_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
SALES_KEY = "s3://drops/partner_sales/p7/2010-12-01.csv"
SALES_BATCH = Ingestion(source="s3:partner_sales", batch_id="run-43", ingested_at=INGESTED_AT)

SALES_COLUMNS = [
    "partner_id",
    "invoice_no",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "partner_customer_id",
    "country",
    "_source",
    "_batch_id",
    "_ingested_at",
    "_source_key",
    "_error",
    "_raw",
]


def _sales(content: bytes, required: tuple[str, ...] = (), **options: Any) -> pl.DataFrame:
    return csv_to_frame(
        content,
        bronze.PARTNER_SALES,
        ingestion=SALES_BATCH,
        source_key=SALES_KEY,
        rename=UCI_RENAME,
        constants={"partner_id": "p7"},
        required=required,
        **options,
    )


# --- csv_to_frame ----------------------------------------------------------------------------


def test_uci_csv_is_read_as_text_renamed_and_given_the_partner_constant() -> None:
    content = (
        f"{UCI_HEADER}\n"
        "536365,00123,WHITE HEART,6,12/1/2010 8:26,2.50,17850,United Kingdom\n"
        "C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom\n"
    ).encode()

    frame = _sales(content)

    assert frame.columns == SALES_COLUMNS
    assert frame.rows() == [
        (
            "p7",
            "536365",
            "00123",
            "WHITE HEART",
            "6",
            "12/1/2010 8:26",
            "2.50",
            "17850",
            "United Kingdom",
            "s3:partner_sales",
            "run-43",
            datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC),
            SALES_KEY,
            None,
            None,
        ),
        (
            "p7",
            "C536379",
            "D",
            "Discount",
            "-1",
            "12/1/2010 9:41",
            "27.50",
            "14527",
            "United Kingdom",
            "s3:partner_sales",
            "run-43",
            datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC),
            SALES_KEY,
            None,
            None,
        ),
    ]


def test_csv_columns_are_all_text_with_the_contract_dtypes() -> None:
    frame = _sales(f"{UCI_HEADER}\n1,2,x,3,d,4.0,5,GB\n".encode())

    assert frame.schema == pl.Schema(
        {name: pl.String for name in SALES_COLUMNS} | {"_ingested_at": pl.Datetime("us", "UTC")}
    )


def test_a_quoted_description_with_a_comma_is_one_value() -> None:
    content = f'{UCI_HEADER}\n536365,85123A,"WHITE, HEART",6,12/1/2010 8:26,2.55,17850,GB\n'

    frame = _sales(content.encode())

    assert frame.get_column("description").to_list() == ["WHITE, HEART"]
    assert frame.get_column("country").to_list() == ["GB"]


def test_a_csv_row_missing_a_required_value_keeps_its_values_with_error_and_raw() -> None:
    content = (
        f"{UCI_HEADER}\n"
        "536365,85123A,WHITE HEART,6,12/1/2010 8:26,2.55,17850,GB\n"
        "536366,22633,HAND WARMER,,12/1/2010 8:28,1.85,,GB\n"
        ",,,,,,,\n"
    ).encode()

    frame = _sales(content, required=("invoice_no", "stock_code", "quantity"))

    assert frame.height == 3
    assert frame.get_column("_error").to_list() == [
        None,
        "missing required field(s): quantity",
        "missing required field(s): invoice_no, stock_code, quantity",
    ]
    assert frame.get_column("_raw").to_list() == [
        None,
        "536366,22633,HAND WARMER,,12/1/2010 8:28,1.85,,GB",
        ",,,,,,,",
    ]
    assert frame.row(1, named=True)["invoice_no"] == "536366"
    assert frame.row(1, named=True)["unit_price"] == "1.85"


def test_the_raw_text_of_a_malformed_csv_row_is_the_row_as_delivered() -> None:
    line = '536367,85123A,"WHITE, HEART",,12/1/2010 8:26,2.55,17850,United Kingdom'

    frame = _sales(f"{UCI_HEADER}\n{line}\n".encode(), required=("quantity",))

    assert frame.get_column("_error").to_list() == ["missing required field(s): quantity"]
    assert frame.get_column("_raw").to_list() == [line]


def test_a_file_lacking_a_header_column_becomes_one_error_row_holding_the_file() -> None:
    text = (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,Country\n"
        "536365,85123A,WHITE HEART,6,12/1/2010 8:26,2.55,GB\n"
        "536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,GB\n"
    )

    frame = _sales(text.encode())

    assert frame.height == 1
    row = frame.row(0, named=True)
    assert row["_error"] == (
        "rejected file s3://drops/partner_sales/p7/2010-12-01.csv: "
        "CSV lacks required column(s): CustomerID"
    )
    assert row["_raw"] == text
    assert row["invoice_no"] is None
    assert row["partner_id"] is None
    assert row["_source_key"] == SALES_KEY
    assert frame.columns == SALES_COLUMNS


def test_bytes_that_are_not_utf8_reject_the_file_naming_the_byte_and_keep_it_exactly() -> None:
    content = f"{UCI_HEADER}\n1,2,Caf\xe9,1,d,1,1,FR\n".encode("latin-1")

    frame = _sales(content)

    assert frame.height == 1
    row = frame.row(0, named=True)
    position = len(UCI_HEADER) + len("\n1,2,Caf")  # the 0xE9 of 'Café'
    assert row["_error"] == (
        f"rejected file {SALES_KEY}: undecodable bytes: not utf-8 at byte {position} (b'\\xe9')"
    )
    assert base64.b64decode(row["_raw"].removeprefix("base64:")) == content
    assert row["invoice_no"] is None
    assert rejected_file_reason(frame) == row["_error"]


def test_a_declared_encoding_and_delimiter_read_the_file() -> None:
    content = "InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country\n"
    content += "1;A;Café crème;2;1/2/2011 9:00;1,5;7;FRANCE\n"

    frame = _sales(content.encode("latin-1"), delimiter=";", encoding="latin-1")

    row = frame.row(0, named=True)
    assert (row["description"], row["unit_price"], row["_error"]) == ("Café crème", "1,5", None)


def test_two_headers_that_normalise_to_one_column_reject_the_file_naming_both() -> None:
    content = f"{UCI_HEADER},Note A,note_a\n1,A,x,1,d,1.0,1,GB,p,q\n".encode()

    frame = _sales(content)

    assert frame.height == 1
    assert frame.get_column("_error").item() == (
        f"rejected file {SALES_KEY}: CSV headers collide: "
        "'Note A' and 'note_a' both become 'note_a'"
    )


def test_a_repeated_header_rejects_the_file() -> None:
    content = f"{UCI_HEADER},Country\n1,A,x,1,d,1.0,1,GB,FR\n".encode()

    frame = _sales(content)

    assert frame.get_column("_error").item() == (
        f"rejected file {SALES_KEY}: CSV header(s) repeated: 'Country'"
    )


def test_header_aliases_match_any_spelling_and_name_the_missing_column_with_its_spellings() -> None:
    aliases = {"invoice_no": ["InvoiceNo", "Invoice"], "quantity": ["Quantity", "Qty"]}
    good = _sales(b"invoice no,QTY\nX1,3\n", header_aliases=aliases)
    bad = _sales(b"Invoice Number,Qty\nX1,3\n", header_aliases=aliases)

    assert good.select("invoice_no", "quantity", "_error").row(0) == ("X1", "3", None)
    assert bad.get_column("_error").item() == (
        f"rejected file {SALES_KEY}: CSV lacks required column(s): "
        "invoice_no (as invoice_no or InvoiceNo or Invoice)"
    )


def test_an_empty_file_becomes_one_error_row() -> None:
    frame = _sales(b"")

    assert frame.height == 1
    assert frame.get_column("_error").item().startswith(f"rejected file {SALES_KEY}: unreadable")
    assert frame.get_column("_raw").item() == ""


def test_a_header_only_file_gives_zero_rows_with_the_contract_schema() -> None:
    frame = _sales(f"{UCI_HEADER}\n".encode())

    assert frame.height == 0
    assert frame.columns == SALES_COLUMNS


def test_every_csv_data_row_comes_out_as_one_bronze_row() -> None:
    content = (
        f"{UCI_HEADER}\n"
        "1,A,x,1,d,1.0,1,GB\n"
        ",B,x,1,d,1.0,1,GB\n"
        "3,C,x,,d,1.0,,GB\n"
        "4,D,x,4,d,1.0,4,GB\n"
    ).encode()

    frame = _sales(content, required=("invoice_no", "quantity"))

    assert frame.height == 4
    assert frame.get_column("stock_code").to_list() == ["A", "B", "C", "D"]
    assert frame.get_column("_error").is_null().to_list() == [True, False, False, True]


# --- files: gzip, schema drift, Parquet, JSON ---------------------------------------------------


def test_a_gzipped_csv_reads_like_the_plain_one() -> None:
    content = f"{UCI_HEADER}\n536365,85123A,WHITE HEART,6,12/1/2010 8:26,2.55,17850,GB\n".encode()

    assert _sales(gzip.compress(content)).equals(_sales(content))


def test_a_truncated_gzip_becomes_one_rejected_row() -> None:
    frame = _sales(gzip.compress(f"{UCI_HEADER}\n1,2,x,3,d,4,5,GB\n".encode())[:20])

    assert frame.height == 1
    assert frame.get_column("_error").item().startswith(f"rejected file {SALES_KEY}: unreadable")
    assert rejected_file_reason(frame) == frame.get_column("_error").item()


def test_an_added_column_is_kept_as_text_under_a_snake_case_name_after_the_contract() -> None:
    content = f"{UCI_HEADER},Discount %,Partner ID\n1,A,x,1,d,1.0,1,GB,10,p9\n".encode()

    frame = _sales(content)

    assert frame.columns == [*SALES_COLUMNS, "discount", "partner_id_delivered"]
    assert frame.select("discount", "partner_id_delivered", "partner_id").row(0) == (
        "10",
        "p9",
        "p7",
    )
    assert rejected_file_reason(frame) is None


def test_drift_column_names() -> None:
    assert drift_column_name("Discount %", bronze.PARTNER_SALES) == "discount"
    assert drift_column_name("  VAT-Rate (EU) ", bronze.PARTNER_SALES) == "vat_rate_eu"
    assert drift_column_name("2nd price", bronze.PARTNER_SALES) == "column_2nd_price"
    assert drift_column_name("%%", bronze.PARTNER_SALES) == "unnamed"
    assert drift_column_name("Country", bronze.PARTNER_SALES) == "country_delivered"


def _inventory(content: bytes) -> pl.DataFrame:
    return parquet_to_frame(
        content,
        bronze.INVENTORY,
        ingestion=SALES_BATCH,
        source_key="s3://drops/inventory/stock_2026-10-01.parquet",
        rename={name: name for name in INVENTORY_PAYLOAD},
        required=("sku",),
    )


INVENTORY_PAYLOAD = ["snapshot_date", "warehouse_id", "sku", "on_hand", "reserved", "reorder_point"]


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_parquet_values_become_their_text_and_a_row_missing_a_key_keeps_its_values() -> None:
    stock = pl.DataFrame(
        {
            "snapshot_date": [date(2026, 10, 1), date(2026, 10, 1)],
            "warehouse_id": ["WH-NL1", "WH-DE1"],
            "sku": ["SKU-1", None],
            "on_hand": [42, 7],
            "reserved": [3, 0],
            "reorder_point": [10, 20],
            "unit_cost": [1.5, 2.25],
        }
    )

    frame = _inventory(_parquet(stock))

    assert frame.select(*INVENTORY_PAYLOAD, "unit_cost", "_error", "_raw").rows() == [
        ("2026-10-01", "WH-NL1", "SKU-1", "42", "3", "10", "1.5", None, None),
        (
            "2026-10-01", "WH-DE1", None, "7", "0", "20", "2.25",
            "missing required field(s): sku",
            '["2026-10-01", "WH-DE1", null, "7", "0", "20", "2.25"]',
        ),
    ]  # fmt: skip


def test_a_parquet_file_missing_a_column_is_rejected_naming_it() -> None:
    frame = _inventory(_parquet(pl.DataFrame({"snapshot_date": ["2026-10-01"], "sku": ["S"]})))

    assert rejected_file_reason(frame) == (
        "rejected file s3://drops/inventory/stock_2026-10-01.parquet: Parquet lacks required "
        "column(s): warehouse_id, on_hand, reserved, reorder_point"
    )
    raw = frame.get_column("_raw").item()
    assert base64.b64decode(raw.removeprefix("base64:"))[:4] == b"PAR1"  # the file as delivered


def _partners(content: bytes) -> pl.DataFrame:
    return json_array_to_frame(
        content,
        bronze.PARTNERS,
        ingestion=SALES_BATCH,
        source_key="s3://drops/partners/partners.json",
        required=("partner_id",),
    )


def test_a_json_array_gives_one_row_per_element() -> None:
    content = json.dumps(
        [{"partner_id": "PTN01", "commission_rate": 0.1, "country": "NL"}, {"name": "x"}]
    ).encode()

    frame = _partners(content)

    assert frame.select("partner_id", "commission_rate", "country", "_error").rows() == [
        ("PTN01", "0.1", "NL", None),
        (None, None, None, "missing required field(s): partner_id"),
    ]
    assert rejected_file_reason(frame) is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'[{"partner_id": "PTN01"', "unreadable JSON: "),
        (b'{"partner_id": "PTN01"}', "not a JSON array but dict"),
    ],
)
def test_a_json_file_that_is_not_an_array_is_rejected_whole(content: bytes, reason: str) -> None:
    frame = _partners(content)

    assert frame.height == 1
    assert (
        frame.get_column("_error")
        .item()
        .startswith(f"rejected file s3://drops/partners/partners.json: {reason}")
    )
    assert frame.get_column("_raw").item() == content.decode()
