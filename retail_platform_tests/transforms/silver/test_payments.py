from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.payments import silver_payments, validate_payments
from retail_platform.transforms.silver.validation import quarantine_rows, valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import bronze_frame


def payment(**overrides: Any) -> dict[str, Any]:
    base = {
        "payment_id": "PAY1",
        "order_id": "O1",
        "amount": "25.50",
        "currency": "eur",
        "method": "card",
        "status": "captured",
        "created_at": "2026-10-31T23:30:00-01:00",
    }
    return {**base, **overrides}


def test_valid_payment_is_typed_and_conformed() -> None:
    validated = validate_payments(bronze_frame(bronze.PAYMENTS, payment()))

    result = silver_payments(valid_rows(validated)).collect()

    assert result.schema == silver.PAYMENTS.polars_schema
    assert result.rows() == [
        (
            "PAY1",
            "O1",
            Decimal("25.50"),
            "EUR",
            "card",
            "captured",
            datetime(2026, 11, 1, 0, 30, tzinfo=UTC),
            date(2026, 11, 1),  # the UTC date, not the local one
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"payment_id": None}, "payment_id: missing"),
        ({"order_id": ""}, "order_id: missing"),
        ({"amount": None}, "amount: missing"),
        ({"amount": "abc"}, "amount: not a number: 'abc'"),
        ({"amount": "-5"}, "amount: negative: '-5.00'"),  # the typed value
        ({"currency": "E1R"}, "currency: not a 3-letter currency code: 'E1R'"),
        ({"method": "cash"}, "method: not one of card, paypal, klarna, gift_card: 'cash'"),
        ({"status": "pending"}, "status: not one of captured, failed, refunded: 'pending'"),
        ({"created_at": "31/10/2026"}, "created_at: not an ISO-8601 timestamp: '31/10/2026'"),
        (
            {"amount": "x", "status": "pending"},
            "amount: not a number: 'x'; status: not one of captured, failed, refunded: 'pending'",
        ),
    ],
)
def test_malformed_payment_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    rows = [payment(), {**payment(payment_id="PAY2"), **overrides}]
    validated = validate_payments(bronze_frame(bronze.PAYMENTS, *rows))

    assert validated.collect()["_quarantine_reason"].to_list() == [None, reason]
    quarantined = quarantine_rows(validated, bronze.PAYMENTS).collect()
    assert quarantined.columns == [*bronze.PAYMENTS.column_names, "_quarantine_reason"]
    assert quarantined.height == 1


def test_zero_amount_and_missing_method_are_valid() -> None:
    validated = validate_payments(
        bronze_frame(bronze.PAYMENTS, payment(amount="0", method=None, status="failed"))
    ).collect()

    assert validated.select("amount", "method", "_quarantine_reason").rows() == [
        (Decimal("0.00"), None, None)
    ]


def test_bronze_columns_are_kept_next_to_the_typed_ones() -> None:
    validated = validate_payments(bronze_frame(bronze.PAYMENTS, payment()))

    schema = validated.collect_schema()

    assert schema["amount"] == pl.Decimal(18, 2)
    assert schema["_bronze_amount"] == pl.String
    assert "_ingested_at" in schema
