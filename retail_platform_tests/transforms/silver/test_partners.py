from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.pii.engine import apply_policy, load_policy
from retail_platform.transforms.silver.partners import silver_partners, validate_partners
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
