from datetime import date
from typing import Any

import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.inventory import silver_inventory, validate_inventory
from retail_platform.transforms.silver.validation import valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import INGESTED_AT, bronze_frame


def stock(**overrides: Any) -> dict[str, Any]:
    base = {
        "snapshot_date": "2026-10-01",
        "warehouse_id": "WH-NL1",
        "sku": "SKU-10001",
        "on_hand": "40",
        "reserved": "5",
        "reorder_point": "20",
    }
    return {**base, **overrides}


def test_stock_row_is_typed_with_what_is_available() -> None:
    validated = validate_inventory(bronze_frame(bronze.INVENTORY, stock()))

    result = silver_inventory(valid_rows(validated)).collect()

    assert result.schema == silver.INVENTORY.polars_schema
    assert result.rows() == [(date(2026, 10, 1), "WH-NL1", "SKU-10001", 40, 5, 20, 35, INGESTED_AT)]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"reserved": "41"}, "reserved: exceeds on_hand"),
        # 0 reserved of -1 on hand breaks both rules, and both are named.
        (
            {"on_hand": "-1", "reserved": "0"},
            "on_hand: negative: '-1'; reserved: exceeds on_hand",
        ),
        ({"on_hand": "lots"}, "on_hand: not an integer: 'lots'"),
        ({"snapshot_date": "1/10/2026"}, "snapshot_date: not an ISO-8601 date: '1/10/2026'"),
        ({"sku": None}, "sku: missing"),
    ],
)
def test_malformed_stock_row_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    rows = [stock(), {**stock(sku="SKU-10002"), **overrides}]

    validated = validate_inventory(bronze_frame(bronze.INVENTORY, *rows)).collect()

    assert validated["_quarantine_reason"].to_list() == [None, reason]
