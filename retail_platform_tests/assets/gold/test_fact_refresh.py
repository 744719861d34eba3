"""Property: any sequence of incremental gold fact runs equals one full build of the same silver.

Silver histories (gold_history.py) bring new days, late updates that move an order to another
date, cancellations and returns, deleted orders, lines added and removed, new and removed
products (and sku changes), partners, customers added, removed and versioned in dim_customer,
rates added, changed and removed. Gold runs happen after arbitrary steps; at the end each fact
must hold exactly the rows of a full build from the final silver and dim_customer.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from retail_platform.assets.gold import fact_refresh
from retail_platform.assets.gold.fact_refresh import (
    ORDER_LINE_INPUTS,
    OrderLineScope,
    day_runs,
    order_line_scope,
    orders_of_lines,
    refresh_fact_order_lines,
    refresh_fact_partner_sales,
    refresh_fact_payments,
)
from retail_platform.assets.gold.increment import FULL, INCREMENTAL, GoldRun, plan_gold
from retail_platform.contracts import gold
from retail_platform.quality.publish import commit_slice, record_slice_progress
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.facts import (
    build_fact_order_lines,
    build_fact_partner_sales,
    build_fact_payments,
)
from retail_platform_tests.assets.gold.gold_history import BOUNDARIES, SilverHistory, step

REFRESHES = {
    "fact_order_lines": refresh_fact_order_lines,
    "fact_payments": refresh_fact_payments,
    "fact_partner_sales": refresh_fact_partner_sales,
}


def _gold_run(lake: LakeResource, run_id: str) -> dict[str, str]:
    """Refresh and publish every fact (commit and progress, as the IO manager does after the
    audit); returns each fact's refresh mode. A full build comes in parts of 2 source rows."""
    modes = {}
    for table, refresh in REFRESHES.items():
        # Parts of 2 source rows: a full build here comes in several parts.
        piece = refresh(lake, GoldRun(run_id, part_rows=2))
        commit_slice(lake, "gold", table, piece)
        record_slice_progress(lake, "gold", table, piece, run_id)
        modes[table] = piece.mode
    return modes


def _full_builds(lake: LakeResource) -> dict[str, pl.DataFrame]:
    def scan(table: str) -> pl.LazyFrame:
        return lake.scan("silver", table)

    dim = lake.scan("gold", "dim_customer")
    return {
        "fact_order_lines": build_fact_order_lines(
            scan("order_lines"), scan("orders"), dim, scan("fx_rates"), scan("products")
        ).collect(),
        "fact_payments": build_fact_payments(scan("payments"), scan("fx_rates")).collect(),
        "fact_partner_sales": build_fact_partner_sales(
            scan("partner_sales"), scan("products"), scan("fx_rates"), scan("partners")
        ).collect(),
    }


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns[0])  # each fact's first column is its primary key


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: it replays Delta writes for minutes; a failure prints its history as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(history=st.lists(step, min_size=1, max_size=5))
def test_incremental_fact_runs_equal_a_full_build(history: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lake = LakeResource(root=folder)
        silver = SilverHistory(lake)
        assert set(_gold_run(lake, "first").values()) == {FULL}
        later_modes: set[str] = set()
        for number, item in enumerate(history):
            for change in item["changes"]:
                silver.apply(change)
            if item["gold_runs_after"] or number == len(history) - 1:
                later_modes |= set(_gold_run(lake, f"run-{number}").values())
                _assert_equal_to_full_builds(lake)
        # Rates and dim_customer rewritten whole are still read as changes: never a rebuild.
        assert FULL not in later_modes


def _assert_equal_to_full_builds(lake: LakeResource) -> None:
    for table, expected in _full_builds(lake).items():
        actual = lake.scan("gold", table).collect()
        assert_frame_equal(_sorted(actual), _sorted(expected), check_column_order=True)


def _days(*counts: tuple[int, int]) -> pl.DataFrame:
    """One row per October day (its day of month) with its row count."""
    return pl.DataFrame(
        {"day": [date(2026, 10, d) for d, _ in counts], "len": [n for _, n in counts]},
        schema={"day": pl.Date, "len": pl.UInt32},
    )


def test_days_are_cut_into_runs_of_about_the_part_rows() -> None:
    counts = _days((1, 3), (2, 1), (3, 1), (4, 4), (5, 2))
    # 3+1 = 4 fits 4; the 3rd would make 5: a new run; day 4 alone is 4; day 5 starts a run.
    assert day_runs(counts, 4) == [
        [date(2026, 10, 1), date(2026, 10, 2)],
        [date(2026, 10, 3)],
        [date(2026, 10, 4)],
        [date(2026, 10, 5)],
    ]
    assert day_runs(_days((1, 10)), 4) == [[date(2026, 10, 1)]]  # a big day: its own run
    assert day_runs(_days(), 4) == [[]]  # no day: one empty part (the table's schema)


def test_a_full_build_in_parts_equals_the_one_frame_build(tmp_path: Path) -> None:
    """Orders on Oct 2, 9, 19 and 26, one line each: parts of 2 source rows are two runs of
    two days, parts of 1 row one day each; either way the table is the one-frame build."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    SilverHistory(lake)
    expected = _full_builds(lake)["fact_order_lines"]
    for part_rows, values in (
        (2, ((20261002, 20261009), (20261019, 20261026))),
        (1, ((20261002,), (20261009,), (20261019,), (20261026,))),
    ):
        piece = refresh_fact_order_lines(
            lake, GoldRun("r1", full_refresh=True, part_rows=part_rows)
        )
        assert piece.parts is not None and piece.parts.values == values
        assert commit_slice(lake, "gold", "fact_order_lines", piece) == 4
        actual = lake.scan("gold", "fact_order_lines").collect()
        assert_frame_equal(_sorted(actual), _sorted(expected), check_column_order=True)


def _order(order_id: str, customer: str, day: int, quantity: int) -> dict[str, Any]:
    return {
        "kind": "order", "id": order_id, "delete": False, "customer": customer,
        "currency": "USD", "day": day, "hour": 13, "status": "paid",
        "lines": [{"product": "P2", "quantity": quantity}],
    }  # fmt: skip


def _scope_after(lake: LakeResource, change: dict[str, Any]) -> tuple[OrderLineScope, set[str]]:
    """The scope of the night after `change` (gold published before it), and the inputs
    whose changes the plan read; then the night is run and checked against a full build."""
    silver = SilverHistory(lake)
    silver.apply(_order("O5", "C2", 1, 1))  # on O1's day (Oct 2), another customer
    _gold_run(lake, "first")
    silver.apply(change)
    plan = plan_gold(lake, gold.FACT_ORDER_LINES, ORDER_LINE_INPUTS, GoldRun("probe"))
    assert plan.mode == INCREMENTAL
    scope = order_line_scope(plan)
    _gold_run(lake, "night")
    _assert_equal_to_full_builds(lake)
    return scope, set(plan.read)


def test_a_changed_order_rebuilds_its_own_lines_only(tmp_path: Path) -> None:
    """O5 changes on Oct 2, which also holds O1's line: Oct 2 is replaced, only O5 is
    rebuilt (O1's row is carried), and no unmoved input's changes are read."""
    lake = LakeResource(root=str(tmp_path))
    scope, read = _scope_after(lake, _order("O5", "C2", 1, 3))
    assert scope.orders.to_list() == ["O5"]
    assert (scope.rate_dates, scope.dates) == ([], [date(2026, 10, 2)])
    assert read == {"order_lines", "orders"}
    # Committed as a merge of the differences: the night's raw change feed holds O5's line
    # (before and after), not O1's carried one deleted and inserted again.
    table = DeltaTable(lake.table_uri("gold", "fact_order_lines"))
    night = pl.DataFrame(table.load_cdf(starting_version=table.version()))
    assert sorted(night.select("order_id", "_change_type").iter_rows()) == [
        ("O5", "update_postimage"),
        ("O5", "update_preimage"),
    ]


def test_an_order_moved_to_another_day_replaces_both_days(tmp_path: Path) -> None:
    scope, _ = _scope_after(LakeResource(root=str(tmp_path)), _order("O5", "C2", 8, 1))
    assert scope.orders.to_list() == ["O5"]
    assert scope.dates == [date(2026, 10, 2), date(2026, 10, 9)]  # O2's day too: it is carried


def test_a_customer_version_change_rebuilds_that_customers_orders(tmp_path: Path) -> None:
    """C1 gains a version from Oct 6 noon: its orders O1 (Oct 2) and O4 (Oct 26) are rebuilt,
    O5 (C2) on Oct 2 is carried."""
    change = {"kind": "customer", "id": "C1", "boundaries": [BOUNDARIES[0]], "as_slice": True}
    scope, read = _scope_after(LakeResource(root=str(tmp_path)), change)
    assert sorted(scope.orders.to_list()) == ["O1", "O4"]
    assert (scope.rate_dates, scope.dates) == ([], [date(2026, 10, 2), date(2026, 10, 26)])
    assert read == {"dim_customer"}


def test_a_changed_rate_rebuilds_the_dates_it_covers_whole(tmp_path: Path) -> None:
    """A USD rate on Oct 6 (offset 5): Oct 6 up to the next rate (Oct 11) changes; of the order
    dates only Oct 9 (O2) is in that range. No order is rebuilt by id."""
    change = {"kind": "rate", "day": 5, "rate": "0.8500000000"}
    scope, read = _scope_after(LakeResource(root=str(tmp_path)), change)
    assert scope.orders.to_list() == []
    assert scope.rate_dates == scope.dates == [date(2026, 10, 9)]
    assert read == {"fx_rates"}


def test_the_orders_of_lines_are_the_same_by_filter_or_by_semi_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = pl.DataFrame({"order_id": ["O1", "O1", "O3"], "line_number": [1, 2, 1]})
    orders = pl.LazyFrame({"order_id": ["O1", "O2", "O3", "O4"], "channel": ["a", "b", "c", "d"]})
    expected = [("O1", "a"), ("O3", "c")]
    assert sorted(orders_of_lines(lines, orders).collect().iter_rows()) == expected  # 2 ids: filter
    monkeypatch.setattr(fact_refresh, "FILTER_ORDERS_UP_TO", 1)
    assert sorted(orders_of_lines(lines, orders).collect().iter_rows()) == expected  # semi-join
