from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.pii.engine import apply_policy, load_policy
from retail_platform.transforms.silver.latest import latest_versions
from retail_platform.transforms.silver.partners import (
    silver_partner_sales,
    silver_partners,
    validate_partner_sales,
    validate_partners,
)
from retail_platform.transforms.silver.validation import valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import INGESTED_AT, bronze_frame

D = Decimal


def partner(**overrides: Any) -> dict[str, Any]:
    base = {
        "partner_id": "PTN01",
        "name": "Harbour & Pine Ltd",
        "country": "gb",
        "commission_rate": "0.12",
        "contact_email": "Partners@Harbour.Example.com",
        "onboarded_at": "2024-03-01",
    }
    return {**base, **overrides}


def validate_partner_rows(*rows: dict[str, Any]) -> pl.LazyFrame:
    masked = apply_policy(bronze_frame(bronze.PARTNERS, *rows), "partners", load_policy(), b"k")
    return validate_partners(masked)


def test_partner_is_typed_with_only_the_contact_domain_kept() -> None:
    result = silver_partners(valid_rows(validate_partner_rows(partner()))).collect()

    assert result.schema == silver.PARTNERS.polars_schema
    assert result.rows() == [
        ("PTN01", "Harbour & Pine Ltd", "GB", D("0.1200"), "***@harbour.example.com",
         date(2024, 3, 1), INGESTED_AT),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"commission_rate": "1.5"}, "commission_rate: not between 0 and 1: '1.5000'"),
        ({"commission_rate": "ten %"}, "commission_rate: not a number: 'ten %'"),
        ({"country": "United Kingdom"}, "country: not a 2-letter country code: 'UNITED KINGDOM'"),
        ({"onboarded_at": "01/03/2024"}, "onboarded_at: not an ISO-8601 date: '01/03/2024'"),
        ({"name": None}, "name: missing"),
    ],
)
def test_malformed_partner_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    validated = validate_partner_rows(partner(), {**partner(partner_id="PTN02"), **overrides})

    assert validated.collect()["_quarantine_reason"].to_list() == [None, reason]


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


def validate_sales(*rows: dict[str, Any]) -> pl.DataFrame:
    return validate_partner_sales(bronze_frame(bronze.PARTNER_SALES, *rows)).collect()


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
        ("PTN01", "536365", "SKU-10001", "WHITE HANGING HEART", 6, D("2.55"), D("15.30"), "EUR",
         at, date(2026, 12, 1), "17850", "United Kingdom", False),
        ("PTN01", "C536379", "SKU-10002", "WHITE HANGING HEART", -2, D("3.00"), D("-6.00"),
         "EUR", at, date(2026, 12, 1), "17850", "United Kingdom", True),
        ("PTN01", "536380", "SKU-10001", "WHITE HANGING HEART", -1, D("2.55"), D("-2.55"), "EUR",
         at, date(2026, 12, 1), None, "United Kingdom", False),
    ]  # fmt: skip
    # 15.30 - 6.00 - 2.55: summing line_amount nets cancellations and returns out.
    assert result.get_column("line_amount").sum() == D("6.75")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"invoice_no": "C536381"}, "quantity: a cancellation (C invoice) must be negative"),
        ({"quantity": "0"}, "quantity: zero: '0'"),
        ({"quantity": "1.5"}, "quantity: not an integer: '1.5'"),
        ({"unit_price": "-1"}, "unit_price: negative: '-1.00'"),
        (
            {"invoice_date": "2026-12-01 08:26"},
            "invoice_date: not a date like 12/1/2010 8:26: '2026-12-01 08:26'",
        ),
        (
            {"invoice_no": "INV-1"},
            "invoice_no: not an invoice number such as 536365 or C536365: 'INV-1'",
        ),
        ({"stock_code": None, "country": ""}, "stock_code: missing; country: missing"),
    ],
)
def test_malformed_sale_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    validated = validate_sales(sale(), {**sale(invoice_no="536400"), **overrides})

    assert validated["_quarantine_reason"].to_list() == [None, reason]


def test_a_sale_delivered_again_counts_once_with_the_latest_ingestion() -> None:
    first = {**sale(quantity="6"), "_ingested_at": INGESTED_AT}
    again = {**sale(quantity="12"), "_ingested_at": datetime(2026, 12, 2, 6, 0, tzinfo=UTC)}
    validated = validate_partner_sales(bronze_frame(bronze.PARTNER_SALES, again, first))

    latest = latest_versions(
        valid_rows(validated), ["partner_id", "invoice_no", "stock_code"], "ingested_at"
    ).collect()

    assert latest.select("invoice_no", "quantity").rows() == [("536365", 12)]
