from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.latest import latest_versions
from retail_platform.transforms.silver.products import silver_products, validate_products
from retail_platform.transforms.silver.validation import valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import bronze_frame


def product(**overrides: Any) -> dict[str, Any]:
    base = {
        "product_id": "P00001",
        "sku": "85123A",
        "name": "White hanging heart",
        "category": "home",
        "brand": "Acme",
        "unit_price": "2.55",
        "currency": "GBP",
        "active": "true",
        "updated_at": "2026-10-01T00:00:00Z",
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("text", "active"),
    [("true", True), ("TRUE", True), (" 1 ", True), ("False", False), ("0", False)],
)
def test_active_flag_accepts_true_false_1_0_in_any_case(text: str, active: bool) -> None:
    validated = validate_products(bronze_frame(bronze.PRODUCTS, product(active=text))).collect()

    assert validated.select("active", "_quarantine_reason").rows() == [(active, None)]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"active": "yes"}, "active: not true/false/1/0: 'yes'"),
        ({"active": None}, "active: missing"),
        ({"unit_price": "-1.00"}, "unit_price: negative: '-1.00'"),
        ({"unit_price": "2,55"}, "unit_price: not a number: '2,55'"),
        ({"updated_at": "01.10.2026"}, "updated_at: not an ISO-8601 timestamp: '01.10.2026'"),
        ({"sku": None, "name": None}, "sku: missing; name: missing"),
    ],
)
def test_malformed_product_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    rows = [product(), {**product(product_id="P00002"), **overrides}]

    validated = validate_products(bronze_frame(bronze.PRODUCTS, *rows)).collect()

    assert validated["_quarantine_reason"].to_list() == [None, reason]


def test_latest_product_row_is_conformed_to_silver() -> None:
    rows = [
        product(unit_price="2.55", updated_at="2026-10-01T00:00:00Z"),
        product(unit_price="2.95", active="0", updated_at="2026-10-15T00:00:00Z"),
    ]
    validated = validate_products(bronze_frame(bronze.PRODUCTS, *rows))

    result = silver_products(latest_versions(valid_rows(validated), ["product_id"], "updated_at"))

    collected = result.collect()
    assert collected.schema == silver.PRODUCTS.polars_schema
    assert collected.rows() == [
        (
            "P00001",
            "85123A",
            "White hanging heart",
            "home",
            "Acme",
            Decimal("2.95"),
            "GBP",
            False,
            datetime(2026, 10, 15, tzinfo=UTC),
        )
    ]
