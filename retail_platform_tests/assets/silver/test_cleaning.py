"""The silver side of write-audit-publish: rows about to be merged are audited first."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from retail_platform.assets.silver.cleaning import merge_children, merge_latest
from retail_platform.contracts import silver
from retail_platform.quality.audit import AuditFailedError
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.tables import table

D = Decimal


def _orders(ids: list[str]) -> pl.DataFrame:
    stamp = datetime(2026, 10, 1, tzinfo=UTC)
    return table(silver.ORDERS, order_id=ids, updated_at=[stamp] * len(ids))


def test_a_merge_source_with_a_repeated_key_commits_nothing(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    merge_latest(lake, silver.ORDERS, _orders(["O1", "O2"]), "updated_at")
    version = lake.version("silver", "orders")

    with pytest.raises(AuditFailedError) as refused:
        merge_latest(lake, silver.ORDERS, _orders(["O3", "O3"]), "updated_at")

    assert str(refused.value.description) == (
        "silver.orders: primary_key_unique_and_present failed (null_keys=0, duplicated_keys=1); "
        f"sample: order_id=O3 occurrences=2. Not published: silver.orders keeps version {version}."
    )
    assert lake.version("silver", "orders") == version
    assert sorted(lake.scan("silver", "orders").collect().get_column("order_id")) == ["O1", "O2"]


def test_order_lines_that_do_not_add_up_are_not_merged(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    # 2 x 10.00 - 1.00 = 19.00, not 20.00
    lines = table(
        silver.ORDER_LINES,
        order_id=["O1"],
        line_number=[1],
        quantity=[2],
        unit_price=[D("10.00")],
        discount=[D("1.00")],
        line_amount=[D("20.00")],
    )

    expected = (
        r"silver.order_lines: line_amounts_add_up failed \(wrong_lines=1\); "
        r"sample: order_id=O1 line_number=1 line_amount=20.00"
    )
    with pytest.raises(AuditFailedError, match=expected):
        merge_children(lake, silver.ORDER_LINES, lines, ["order_id"])
    assert not lake.exists("silver", "order_lines")
