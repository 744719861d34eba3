import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.pii.engine import apply_policy, load_policy
from retail_platform.transforms.silver.customers import (
    UnmaskedCustomersError,
    silver_customers,
    validate_customers,
)
from retail_platform.transforms.silver.validation import quarantine_rows, valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import bronze_frame

SECRET = b"test-secret"
RAW_PII = ("Ada", "Lovelace", "Ada@Example.COM", "+44 20 7946 0958", "1815-12-10", "12 St James")


def customer(**overrides: Any) -> dict[str, Any]:
    base = {
        "customer_id": "C1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": " Ada@Example.COM ",
        "phone": "+44 20 7946 0958",
        "birth_date": "1815-12-10",
        "address_street": "12 St James",
        "address_city": "London",
        "address_postcode": "SW1A 1AA",
        "address_country": "gb",
        "consent_marketing": "TRUE",
        "consent_updated_at": "2026-01-01T00:00:00Z",
        "loyalty_tier": "Gold",
        "created_at": "2026-01-01T09:00:00Z",
        "updated_at": "2026-02-01T09:00:00Z",
        "is_deleted": None,
        "_raw": '{"email": "Ada@Example.COM"}',
    }
    return {**base, **overrides}


def masked(*rows: dict[str, Any]) -> pl.LazyFrame:
    return apply_policy(bronze_frame(bronze.CUSTOMERS, *rows), "customers", load_policy(), SECRET)


def token(normalised: str) -> str:
    return hmac.new(SECRET, normalised.encode(), hashlib.sha256).hexdigest()


def test_masked_customer_becomes_a_silver_row() -> None:
    result = silver_customers(valid_rows(validate_customers(masked(customer())))).collect()

    assert result.schema == silver.CUSTOMERS.polars_schema
    assert result.rows() == [
        (
            "C1",
            token("ada@example.com"),
            token("+442079460958"),
            1815,
            "London",
            "SW",
            "GB",
            True,
            "gold",
            datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
            datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
            False,  # no soft-delete flag in the document: not deleted
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"customer_id": None}, "customer_id: missing"),
        ({"is_deleted": "maybe"}, "is_deleted: not true/false/1/0: 'maybe'"),
        ({"consent_marketing": "Y"}, "consent_marketing: not true/false/1/0: 'Y'"),
        (
            {"loyalty_tier": "diamond"},
            "loyalty_tier: not one of bronze, silver, gold, platinum: 'diamond'",
        ),
        ({"address_country": "GBR"}, "country: not a 2-letter country code: 'GBR'"),
        ({"created_at": "01/01/2026"}, "created_at: not an ISO-8601 timestamp: '01/01/2026'"),
        ({"updated_at": None}, "updated_at: missing"),
        ({"_error": "document is not valid BSON"}, "_error: document is not valid BSON"),
    ],
)
def test_malformed_customer_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    rows = [customer(), {**customer(customer_id="C2"), **overrides}]

    validated = validate_customers(masked(*rows)).collect()

    assert validated["_quarantine_reason"].to_list() == [None, reason]


def test_quarantine_holds_masked_values_only() -> None:
    masked_customers = masked(customer(), customer(customer_id="C2", created_at="bad date"))
    validated = validate_customers(masked_customers)

    quarantined = quarantine_rows(validated, masked_customers.collect_schema()).collect()

    assert quarantined.columns == [
        *masked_customers.collect_schema().names(),
        "_quarantine_reason",
    ]
    assert quarantined["customer_id"].to_list() == ["C2"]
    cells = quarantined.select(pl.all().cast(pl.String)).rows()[0]
    for raw_value in RAW_PII:
        assert not any(cell and raw_value in cell for cell in cells)


def test_unmasked_customers_are_refused() -> None:
    with pytest.raises(UnmaskedCustomersError, match="email"):
        validate_customers(bronze_frame(bronze.CUSTOMERS, customer()))
