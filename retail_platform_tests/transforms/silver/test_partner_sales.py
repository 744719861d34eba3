"""Silver partner sales: profiles (dates, decimals, currency, invoice convention), money to
the cent, and every broken row quarantined with its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.feeds.profiles import FeedProfiles, parse_profiles, shipped_profiles
from retail_platform.transforms.silver.latest import latest_versions
from retail_platform.transforms.silver.partner_sales import (
    silver_partner_sales,
    validate_partner_sales,
)
from retail_platform.transforms.silver.validation import valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import INGESTED_AT, bronze_frame

D = Decimal
UCI_COLUMNS = {
    "invoice_no": ["InvoiceNo"],
    "stock_code": ["StockCode"],
    "description": ["Description"],
    "quantity": ["Quantity"],
    "invoice_date": ["InvoiceDate"],
    "unit_price": ["UnitPrice"],
    "partner_customer_id": ["CustomerID"],
    "country": ["Country"],
}


def profiles(**partners: dict[str, Any]) -> FeedProfiles:
    default = {
        "description": "test default",
        "delimiter": ",",
        "encoding": "utf-8",
        "decimal_separator": ".",
        "date_formats": "auto",
        "currency": "EUR",
        "cancellation_prefix": "C",
        "columns": UCI_COLUMNS,
    }
    return parse_profiles({"version": 1, "default": default, "partners": partners})


def sale(**overrides: Any) -> dict[str, Any]:
    base = {
        "partner_id": "PTN01",
        "invoice_no": "536365",
        "stock_code": "SKU-10001",
        "description": "WHITE HANGING HEART",
        "quantity": "6",
        "invoice_date": "12/1/2026 8:26",
        "unit_price": "2.55",
        "partner_customer_id": "17850",
        "country": "United Kingdom",
    }
    return {**base, **overrides}


def validate_sales(*rows: dict[str, Any], feeds: FeedProfiles | None = None) -> pl.DataFrame:
    frame = bronze_frame(bronze.PARTNER_SALES, *rows)
    return validate_partner_sales(frame, feeds or profiles()).collect()


def reasons(validated: pl.DataFrame) -> list[str | None]:
    return validated["_quarantine_reason"].to_list()


def test_uci_rows_are_typed_and_cancellations_and_returns_are_negative() -> None:
    validated = validate_sales(
        sale(),
        sale(invoice_no="C536379", stock_code="SKU-10002", quantity="-2", unit_price="3.00"),
        # a return on an ordinary invoice: negative quantity without the C
        sale(invoice_no="536380", quantity="-1", partner_customer_id=""),
    )

    result = silver_partner_sales(valid_rows(validated.lazy())).collect()

    assert result.schema == silver.PARTNER_SALES.polars_schema
    at = datetime(2026, 12, 1, 8, 26, tzinfo=UTC)
    assert result.drop("ingested_at").rows() == [
        ("PTN01", "536365", "SKU-10001", "WHITE HANGING HEART", 6, D("2.5500"), D("15.30"),
         "EUR", at, date(2026, 12, 1), "17850", "United Kingdom", False),
        ("PTN01", "C536379", "SKU-10002", "WHITE HANGING HEART", -2, D("3.0000"), D("-6.00"),
         "EUR", at, date(2026, 12, 1), "17850", "United Kingdom", True),
        ("PTN01", "536380", "SKU-10001", "WHITE HANGING HEART", -1, D("2.5500"), D("-2.55"),
         "EUR", at, date(2026, 12, 1), None, "United Kingdom", False),
    ]  # fmt: skip
    # 15.30 - 6.00 - 2.55: summing line_amount nets cancellations and returns out.
    assert result.get_column("line_amount").sum() == D("6.75")


def test_prices_keep_four_decimals_and_each_line_is_rounded_once_half_away_from_zero() -> None:
    validated = validate_sales(
        sale(invoice_no="1", quantity="3", unit_price="14.665"),  # 43.995 -> 44.00
        sale(invoice_no="2", quantity="1", unit_price="1.0005"),  # 1.0005 -> 1.00
        sale(invoice_no="3", quantity="-1", unit_price="2.345"),  # -2.345 -> -2.35
        sale(invoice_no="4", quantity="2", unit_price="0.125"),  # 0.25 -> 0.25
    )

    assert reasons(validated) == [None] * 4
    assert validated["unit_price"].to_list() == [
        D("14.6650"),
        D("1.0005"),
        D("2.3450"),
        D("0.1250"),
    ]
    assert validated["line_amount"].to_list() == [D("44.00"), D("1.00"), D("-2.35"), D("0.25")]
    # 44.00 + 1.00 - 2.35 + 0.25; rounding the prices first would give 44.01 + 1.00 - 2.35
    # + 0.26 = 42.92
    assert validated["line_amount"].sum() == D("42.90")


def test_a_us_profile_reads_iso_times_alphanumeric_invoices_and_dollars() -> None:
    feeds = profiles(US1={"currency": "USD", "cancellation_prefix": None})
    validated = validate_sales(
        sale(partner_id="US1", invoice_no="CD000002", invoice_date="1997-01-01 00:00:00"),
        sale(partner_id="US1", invoice_no="cd000003", invoice_date="1998-06-30T17:45:10"),
        # the default profile (C prefix) still reads CD000002 as an invoice: no digit after C
        sale(invoice_no="CD000004", invoice_date="1997-01-02"),
        sale(partner_id="US1", invoice_no="CD5", invoice_date="1997-01-02T09:00:00-05:00"),
        feeds=feeds,
    )

    assert reasons(validated) == [None, None, None, None]
    # an offset is converted to UTC: 09:00 at -05:00 is 14:00 UTC
    assert validated["invoice_at"].to_list()[3] == datetime(1997, 1, 2, 14, tzinfo=UTC)
    assert validated.head(3).select(
        "invoice_no", "currency", "is_cancellation", "invoice_at"
    ).rows() == [
        ("CD000002", "USD", False, datetime(1997, 1, 1, tzinfo=UTC)),
        ("CD000003", "USD", False, datetime(1998, 6, 30, 17, 45, 10, tzinfo=UTC)),
        ("CD000004", "EUR", False, datetime(1997, 1, 2, tzinfo=UTC)),
    ]


def test_without_a_cancellation_prefix_a_c_invoice_is_an_ordinary_one() -> None:
    feeds = profiles(US1={"cancellation_prefix": None})

    validated = validate_sales(sale(partner_id="US1", invoice_no="C536381"), feeds=feeds)

    assert reasons(validated) == [None]
    assert validated["is_cancellation"].to_list() == [False]


def test_a_day_first_value_under_auto_is_named_as_such() -> None:
    validated = validate_sales(sale(invoice_date="25/12/2026 10:00"))

    assert reasons(validated) == [
        "invoice_date: reads only day-first, not as the UCI form M/D/YYYY H:MM: "
        "'25/12/2026 10:00'; list '%d/%m/%Y %H:%M' in the partner's date_formats"
    ]


def test_listed_formats_decide_per_file_and_an_ambiguous_file_fails_naming_it() -> None:
    feeds = profiles(EU1={"date_formats": ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]})
    rows = [
        # file a: 03/04 and 05/06 read either way: ambiguous, every row of it quarantined
        sale(partner_id="EU1", invoice_no="1", invoice_date="03/04/1997 10:00"),
        sale(partner_id="EU1", invoice_no="2", invoice_date="05/06/1997 10:00"),
        # file b: 25/04 reads only day-first, so its 03/04 is 3 April
        sale(partner_id="EU1", invoice_no="3", invoice_date="25/04/1997 10:00"),
        sale(partner_id="EU1", invoice_no="4", invoice_date="03/04/1997 10:00"),
    ]
    keys = ["s3://drops/a.csv", "s3://drops/a.csv", "s3://drops/b.csv", "s3://drops/b.csv"]
    frame = bronze_frame(bronze.PARTNER_SALES, *rows).with_columns(pl.Series("_source_key", keys))

    validated = validate_partner_sales(frame, feeds).collect().sort("invoice_no")

    ambiguous = (
        "invoice_date: ambiguous day/month order in file s3://drops/a.csv: '03/04/1997 10:00' "
        "reads with both '%d/%m/%Y %H:%M' and '%m/%d/%Y %H:%M'; keep one of them in the "
        "partner's date_formats"
    )
    assert reasons(validated) == [ambiguous, ambiguous, None, None]
    assert validated["invoice_date"].to_list()[2:] == [date(1997, 4, 25), date(1997, 4, 3)]


def test_partners_in_one_batch_each_read_dates_their_own_way() -> None:
    # One batch, three files: a default (auto, month-first UCI) partner, a day-first one,
    # and rows without a partner (read the default way).
    feeds = profiles(EU1={"date_formats": ["%d/%m/%Y %H:%M"]})
    rows = [
        sale(partner_id="PTN01", invoice_no="1", invoice_date="03/04/1997 10:00"),
        sale(partner_id="PTN01", invoice_no="2", invoice_date="1997-12-24"),
        sale(partner_id="EU1", invoice_no="3", invoice_date="03/04/1997 10:00"),
        sale(partner_id="EU1", invoice_no="4", invoice_date="1997-12-24"),
        sale(partner_id=None, invoice_no="5", invoice_date="03/04/1997 10:00"),
    ]
    keys = ["s3://d/p.csv", "s3://d/p.csv", "s3://d/eu.csv", "s3://d/eu.csv", "s3://d/n.csv"]
    frame = bronze_frame(bronze.PARTNER_SALES, *rows).with_columns(pl.Series("_source_key", keys))

    validated = validate_partner_sales(frame, feeds).collect().sort("invoice_no")

    assert validated["invoice_date"].to_list() == [
        date(1997, 3, 4),
        date(1997, 12, 24),
        date(1997, 4, 3),
        None,
        date(1997, 3, 4),
    ]
    assert reasons(validated) == [
        None,
        None,
        None,
        "invoice_date: not a date in the formats %d/%m/%Y %H:%M: '1997-12-24'",
        "partner_id: missing",
    ]


def test_a_value_no_listed_format_reads_is_quarantined_naming_the_formats() -> None:
    feeds = profiles(EU1={"date_formats": ["%d.%m.%Y %H:%M"]})

    validated = validate_sales(
        sale(partner_id="EU1", invoice_date="24.12.1997 18:00"),
        sale(partner_id="EU1", invoice_no="2", invoice_date="1997-12-24"),
        feeds=feeds,
    )

    assert reasons(validated) == [
        None,
        "invoice_date: not a date in the formats %d.%m.%Y %H:%M: '1997-12-24'",
    ]


def test_a_decimal_comma_profile_reads_commas_and_refuses_points() -> None:
    feeds = profiles(EU1={"decimal_separator": ","})

    validated = validate_sales(
        sale(partner_id="EU1", unit_price="1,5"),
        sale(partner_id="EU1", invoice_no="2", unit_price="1.5"),
        sale(invoice_no="3", unit_price="1,5"),  # the default uses points
        feeds=feeds,
    )

    assert validated["unit_price"].to_list()[0] == D("1.5000")
    assert reasons(validated) == [
        None,
        "unit_price: not a number with decimal separator ',': '1.5'",
        "unit_price: not a number with decimal separator '.': '1,5'",
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"invoice_no": "C536381"},
            "quantity: a cancellation (invoice number with the partner's cancellation prefix) "
            "must be negative",
        ),
        ({"quantity": "0"}, "quantity: zero: '0'"),
        ({"quantity": "1.5"}, "quantity: not an integer: '1.5'"),
        ({"unit_price": "-1"}, "unit_price: negative: '-1.0000'"),
        ({"unit_price": "0.12345"}, "unit_price: more than 4 decimals: '0.12345'"),
        (
            {"invoice_date": "2026-13-01 08:26"},
            "invoice_date: not an ISO-8601 date or a date like 12/1/2010 8:26: '2026-13-01 08:26'",
        ),
        (
            {"invoice_no": "INV 1"},
            "invoice_no: not an invoice number (letters, digits, - / _ .): 'INV 1'",
        ),
        ({"stock_code": None, "country": ""}, "stock_code: missing; country: missing"),
    ],
)
def test_malformed_sale_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    validated = validate_sales(sale(), {**sale(invoice_no="536400"), **overrides})

    assert reasons(validated) == [None, reason]


def test_a_sale_delivered_again_counts_once_with_the_latest_ingestion() -> None:
    first = {**sale(quantity="6"), "_ingested_at": INGESTED_AT}
    again = {**sale(quantity="12"), "_ingested_at": datetime(2026, 12, 2, 6, 0, tzinfo=UTC)}
    validated = validate_partner_sales(bronze_frame(bronze.PARTNER_SALES, again, first), profiles())

    latest = latest_versions(
        valid_rows(validated), ["partner_id", "invoice_no", "stock_code"], "ingested_at"
    ).collect()

    assert latest.select("invoice_no", "quantity").rows() == [("536365", 12)]


def test_the_shipped_profiles_read_the_us_partner_in_dollars() -> None:
    validated = validate_sales(
        sale(
            partner_id="US-RETAIL-1997", invoice_no="CD000002", invoice_date="1997-01-01 00:00:00"
        ),
        feeds=shipped_profiles(),
    )

    assert validated.select("currency", "is_cancellation", "_quarantine_reason").rows() == [
        ("USD", False, None)
    ]
