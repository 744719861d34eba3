"""Worked examples: when the new batches only added rows to bronze, silver's version of a key
settles most keys without reading their older versions (assets/silver/incremental.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail_platform.assets.silver.incremental import refresh_entity
from retail_platform.assets.silver.orders import ORDER_LINES, ORDERS
from retail_platform.assets.silver.run_mode import SilverRun
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.silver.test_incremental import (
    DAY1,
    DAY2,
    PII,
    _deliver_day,
    _metadata,
    _version,
    deliver,
    rows,
    silver_run,
)

DAY3 = DAY2 + (DAY2 - DAY1)


def _run(lake: LakeResource, run_id: str) -> dict:
    return _metadata(refresh_entity(lake, ORDERS, PII, SilverRun(run_id), ORDER_LINES), "orders")


def _read(orders: dict) -> tuple:
    return orders["keys_recomputed"], orders["keys_read_from_all_versions"]


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    _deliver_day(lake, 1, DAY1, _version("O1", hour=8, status="paid"))
    silver_run(lake, "run-1")
    return lake


def test_a_key_whose_versions_span_two_batches_is_settled_by_silver_s_version(
    lake: LakeResource,
) -> None:
    # Batch 2 appends a later version of O1 (day 2 > day 1): it wins without reading batch 1.
    _deliver_day(lake, 2, DAY2, _version("O1", hour=8, status="shipped"))
    assert _read(_run(lake, "run-2")) == (1, 0)
    assert rows(lake, "orders").select("order_id", "status").rows() == [("O1", "shipped")]
    assert rows(lake, "order_lines").get_column("status").to_list() == ["shipped", "shipped"]

    # Batch 3 appends an older version (day 1, 09:00 < day 2): nothing changes, nothing read.
    before = lake.version("silver", "orders")
    deliver(lake, 3, {"kind": "append", "day": 0, "versions": [_version("O1", 9, "placed")]})
    assert _read(_run(lake, "run-3")) == (0, 0)
    assert lake.version("silver", "orders") == before

    # Batch 4 ties with silver's version (day 2, 08:00): the tie-break needs the row silver
    # won with, read from all versions; 'shipped' sorts above 'cancelled' on status, the first
    # column where the two differ, so silver keeps it (the new version alone would win).
    deliver(lake, 4, {"kind": "append", "day": 1, "versions": [_version("O1", 8, "cancelled")]})
    assert _read(_run(lake, "run-4")) == (1, 1)
    assert rows(lake, "orders").select("order_id", "status").rows() == [("O1", "shipped")]


def test_a_replaced_batch_that_removes_a_key_s_newest_version_reads_all_its_versions(
    lake: LakeResource,
) -> None:
    _deliver_day(lake, 2, DAY2, _version("O1", status="shipped"))
    _run(lake, "run-2")
    # Day 2 is delivered again without O1: its newest version left bronze.
    _deliver_day(lake, 3, DAY2, _version("O2"))

    assert _read(_run(lake, "run-3")) == (2, 2)
    assert rows(lake, "orders").select("order_id", "status").rows() == [
        ("O1", "paid"), ("O2", "paid")]  # fmt: skip


def test_a_backfill_of_an_older_day_after_newer_ones_only_adds_what_wins(
    lake: LakeResource,
) -> None:
    _deliver_day(lake, 2, DAY3, _version("O1", status="shipped"))
    _run(lake, "run-2")
    # Day 2, never delivered before, is backfilled: O1's version there is older than day 3's,
    # O3 is new.
    _deliver_day(lake, 3, DAY2, _version("O1", status="placed"), _version("O3"))

    assert _read(_run(lake, "run-3")) == (1, 0)
    assert rows(lake, "orders").select("order_id", "status").rows() == [
        ("O1", "shipped"), ("O3", "paid")]  # fmt: skip
