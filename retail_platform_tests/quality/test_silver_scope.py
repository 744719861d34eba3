"""Silver checks after an increment read the keys changed since they last passed, and still fail
on a bad increment (quality/silver_scope.py), run by Dagster on small Delta tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts import silver
from retail_platform.quality.checks import LINE_KEY, ORDER_KEY, scoped_lines_and_orders
from retail_platform.quality.silver_scope import CHANGED, WHOLE, scope_of
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.tables import table

LINES = dg.AssetKey(["silver", "order_lines"])
KEY = ["order_id", "line_number"]
PRIMARY_KEY = "primary_key_unique_and_present"
REQUIRED = "required_columns_present"
AMOUNTS = "line_amounts_add_up"
HAS_ORDER = "every_line_has_its_order"


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("silver", "orders", table(silver.ORDERS, order_id=["O1", "O2"]))
    lines = table(silver.ORDER_LINES, order_id=["O1", "O2"], line_number=[1, 1])
    lake.replace_table("silver", "order_lines", lines)
    return lake


def _merge(
    lake: LakeResource, name: str, frame: pl.DataFrame, key: list[str], delete: bool
) -> None:
    flagged = frame.with_columns(pl.lit(delete).alias("_delete"))
    lake.merge_rows("silver", name, flagged, key, "_delete")


def test_a_duplicate_key_appended_after_a_passed_check_fails_the_changed_keys_check(
    lake: LakeResource,
) -> None:
    first = run_check(lake, LINES, PRIMARY_KEY)
    assert (first.passed, first.metadata["order_lines_checked"]) == (True, WHOLE)
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O2"], line_number=[1])
    )

    second = run_check(lake, LINES, PRIMARY_KEY)
    assert second.passed is False
    assert second.metadata["order_lines_checked"] == CHANGED
    assert second.metadata["duplicated_keys"] == 1
    # Nothing recorded on a failure: the next run checks the same change again.
    assert run_check(lake, LINES, PRIMARY_KEY).passed is False


def test_a_good_increment_passes_reading_only_the_changes(lake: LakeResource) -> None:
    assert run_check(lake, LINES, REQUIRED).passed
    _merge(lake, "order_lines", table(silver.ORDER_LINES, order_id=["O3"], line_number=[1]),
           KEY, delete=False)  # fmt: skip

    run = run_check(lake, LINES, REQUIRED)
    assert (run.passed, run.metadata["order_lines_checked"]) == (True, CHANGED)
    assert run.metadata["order_lines_changed_since_version"] == 0


def test_a_line_merged_with_a_wrong_amount_fails_line_amounts(lake: LakeResource) -> None:
    assert run_check(lake, LINES, AMOUNTS).passed
    # 2 x 3.00 - 0 is 6.00, not 7.00.
    wrong = table(silver.ORDER_LINES, order_id=["O1"], line_number=[1], quantity=[2],
                  unit_price=[Decimal("3.00")], line_amount=[Decimal("7.00")])  # fmt: skip
    _merge(lake, "order_lines", wrong, KEY, delete=False)

    run = run_check(lake, LINES, AMOUNTS)
    assert (run.passed, run.metadata["order_lines_checked"]) == (False, CHANGED)
    assert run.metadata["wrong_lines"] == 1


def test_an_order_deleted_while_its_lines_stay_fails_every_line_has_its_order(
    lake: LakeResource,
) -> None:
    assert run_check(lake, LINES, HAS_ORDER).passed
    _merge(lake, "orders", table(silver.ORDERS, order_id=["O2"]), ["order_id"], delete=True)

    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["orders_checked"]) == (False, CHANGED)
    assert run.metadata["orphan_lines"] == 1
    assert "O2" in str(run.metadata["sample_text"])


def test_a_line_appended_without_its_order_fails(lake: LakeResource) -> None:
    assert run_check(lake, LINES, HAS_ORDER).passed
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O9"], line_number=[1])
    )

    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["order_lines_checked"]) == (False, CHANGED)
    assert run.metadata["orphan_lines"] == 1


def test_a_rebuilt_table_is_checked_whole(lake: LakeResource) -> None:
    assert run_check(lake, LINES, PRIMARY_KEY).passed
    rebuilt = table(silver.ORDER_LINES, order_id=["O1", "O1"], line_number=[1, 1])
    lake.replace_table("silver", "order_lines", rebuilt)

    run = run_check(lake, LINES, PRIMARY_KEY)
    assert (run.passed, run.metadata["order_lines_checked"]) == (False, WHOLE)


def test_a_table_unchanged_since_the_passed_check_passes_on_no_keys(lake: LakeResource) -> None:
    assert run_check(lake, LINES, HAS_ORDER).passed

    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["order_lines_checked"]) == (True, CHANGED)
    assert run.metadata["order_lines_changed_since_version"] == run.metadata["order_lines_version"]


def test_a_null_key_appended_after_a_passed_check_fails_the_changed_keys_check(
    lake: LakeResource,
) -> None:
    assert run_check(lake, LINES, PRIMARY_KEY).passed
    # A null key matches no key lookup: it is in scope as a gained row (silver_scope.py).
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=[None], line_number=[2])
    )

    run = run_check(lake, LINES, PRIMARY_KEY)
    assert (run.passed, run.metadata["order_lines_checked"]) == (False, CHANGED)
    assert run.metadata["null_keys"] == 1


def test_a_null_required_column_merged_fails_and_passes_once_corrected(
    lake: LakeResource,
) -> None:
    assert run_check(lake, LINES, REQUIRED).passed
    broken = table(silver.ORDER_LINES, order_id=["O2"], line_number=[1], product_id=[None])
    _merge(lake, "order_lines", broken, KEY, delete=False)

    run = run_check(lake, LINES, REQUIRED)
    assert (run.passed, run.metadata["order_lines_checked"]) == (False, CHANGED)
    assert run.metadata["null_cells"] == 1
    # Corrected by a later merge: the net feed since the passed version holds the fixed row
    # only (the broken image was gained and lost within the range).
    _merge(lake, "order_lines", table(silver.ORDER_LINES, order_id=["O2"], line_number=[1]),
           KEY, delete=False)  # fmt: skip
    assert run_check(lake, LINES, REQUIRED).passed


def test_a_wrong_amount_corrected_before_the_next_check_passes(lake: LakeResource) -> None:
    assert run_check(lake, LINES, AMOUNTS).passed
    wrong = table(silver.ORDER_LINES, order_id=["O1"], line_number=[1], quantity=[2],
                  unit_price=[Decimal("3.00")], line_amount=[Decimal("7.00")])  # fmt: skip
    _merge(lake, "order_lines", wrong, KEY, delete=False)
    right = wrong.with_columns(pl.lit(Decimal("6.00")).cast(wrong.schema["line_amount"]).alias(
        "line_amount"))  # fmt: skip
    _merge(lake, "order_lines", right, KEY, delete=False)

    run = run_check(lake, LINES, AMOUNTS)
    assert (run.passed, run.metadata["order_lines_checked"]) == (True, CHANGED)


def test_an_updated_order_keeps_its_unchanged_lines_in_place(lake: LakeResource) -> None:
    assert run_check(lake, LINES, HAS_ORDER).passed
    # O2 gets a new version (its row is lost and gained): it is still there, so its line,
    # untouched, is no orphan and is not even read.
    _merge(lake, "orders", table(silver.ORDERS, order_id=["O2"], status=["shipped"]),
           ["order_id"], delete=False)  # fmt: skip

    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["orders_checked"]) == (True, CHANGED)


def test_a_new_line_of_an_unchanged_order_finds_its_order_outside_the_feed(
    lake: LakeResource,
) -> None:
    assert run_check(lake, LINES, HAS_ORDER).passed
    # O1 did not change: the gained line's order is looked up in the current orders.
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O1"], line_number=[2])
    )

    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["order_lines_checked"]) == (True, CHANGED)


def test_the_lines_of_a_removed_order_are_in_scope_and_an_updated_orders_are_not(
    lake: LakeResource,
) -> None:
    """The scope of every_line_has_its_order: the gained lines, plus the current lines of the
    orders removed (an orphan made without a line change needs its order removed)."""
    assert run_check(lake, LINES, HAS_ORDER).passed
    lake.append("silver", "orders", table(silver.ORDERS, order_id=["O3"]))
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O3"], line_number=[1])
    )
    _merge(lake, "orders", table(silver.ORDERS, order_id=["O1"]), ["order_id"], delete=True)
    _merge(lake, "orders", table(silver.ORDERS, order_id=["O2"], status=["shipped"]),
           ["order_id"], delete=False)  # fmt: skip

    check = "every_line_has_its_order"
    lines_scope = scope_of(lake, "order_lines", check, columns=LINE_KEY)
    orders_scope = scope_of(lake, "orders", check, owner="order_lines", columns=ORDER_KEY)
    lines, orders = scoped_lines_and_orders(lake, lines_scope, orders_scope)

    # O3's line was gained; O1's line stayed while O1 was removed; O2 was updated: not read.
    assert sorted(lines.collect().rows()) == [("O1", 1), ("O3", 1)]
    assert sorted(orders.collect().get_column("order_id").to_list()) == ["O3"]
    run = run_check(lake, LINES, HAS_ORDER)
    assert (run.passed, run.metadata["orphan_lines"]) == (False, 1)
    assert "O1" in str(run.metadata["sample_text"])


def test_key_rows_read_only_the_keys_gained_once_and_count_the_others(
    lake: LakeResource,
) -> None:
    """Added minus removed images per key: O1 updated (one removed, one added) gains none and
    is not read; O3 line 1, new, gains one and is read from the table; O4 line 1, appended
    twice, gains two: repeated without a read."""
    run_check(lake, LINES, PRIMARY_KEY)
    _merge(lake, "order_lines", table(silver.ORDER_LINES, order_id=["O1"], line_number=[1],
           quantity=[5]), KEY, delete=False)  # fmt: skip
    lake.append(
        "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O3"], line_number=[1])
    )
    for _ in range(2):
        lake.append(
            "silver", "order_lines", table(silver.ORDER_LINES, order_id=["O4"], line_number=[1])
        )

    scope = scope_of(lake, "order_lines", "table_checks", net=False)
    rows = scope.key_rows(lake, KEY)

    assert sorted(rows.rows()) == [("O3", 1), ("O4", 1), ("O4", 1)]
    run = run_check(lake, LINES, PRIMARY_KEY)
    assert (run.passed, run.metadata["duplicated_keys"]) == (False, 1)
