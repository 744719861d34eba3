"""Which fact dates a change affects: hand-worked change rows."""

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.transforms.gold.affected import (
    changed_customer_windows,
    changed_rate_ranges,
    changed_values,
    dates_in_rate_ranges,
    net_changed,
    orders_in_windows,
    orders_of,
)

D = date
OPEN = datetime(9999, 12, 31, tzinfo=UTC)


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def test_changed_values_takes_old_and_new_images() -> None:
    changes = pl.LazyFrame(
        {"order_date": [D(2026, 9, 20), D(2026, 10, 1), None],
         "_change_type": ["update_postimage", "update_preimage", "delete"]}
    )  # fmt: skip
    got = changed_values(changes, "order_date").collect().get_column("order_date")
    assert sorted(got.to_list()) == [D(2026, 9, 20), D(2026, 10, 1)]


def test_net_changed_cancels_an_update_that_keeps_the_value_and_a_delete_then_insert() -> None:
    changes = pl.LazyFrame(
        {
            "product_id": ["P1", "P1", "P2", "P2", "P3", "P4"],
            "_change_type": ["update_preimage", "update_postimage",  # P1: price only
                             "delete", "insert",  # P2: removed and added back
                             "insert", "delete"],  # P3 new, P4 gone
        }
    )  # fmt: skip
    got = net_changed(changes, ["product_id"]).collect().get_column("product_id")
    assert sorted(got.to_list()) == ["P3", "P4"]


def test_a_changed_rate_affects_its_dates_until_the_next_unchanged_rate() -> None:
    # USD rates on the 1st, 5th (changed 0.9 -> 0.8), 7th (new) and 10th (unchanged).
    rate = Decimal
    changes = pl.LazyFrame(
        {
            "currency": ["USD", "USD", "USD", "GBP"],
            "rate_date": [D(2026, 10, 5), D(2026, 10, 5), D(2026, 10, 7), D(2026, 10, 3)],
            "rate_to_reporting": [rate("0.9"), rate("0.8"), rate("0.7"), rate("1.1")],
            "reporting_currency": ["EUR"] * 4,
            "_change_type": ["update_preimage", "update_postimage", "insert", "insert"],
        }
    )
    now = pl.LazyFrame(
        {
            "currency": ["USD", "USD", "USD", "USD", "GBP"],
            "rate_date": [D(2026, 10, 1), D(2026, 10, 5), D(2026, 10, 7), D(2026, 10, 10),
                          D(2026, 10, 3)],
        }
    )  # fmt: skip
    ranges = changed_rate_ranges(changes, now).sort("currency").collect()
    assert ranges.rows() == [
        ("GBP", D(2026, 10, 3), None),  # no later GBP rate: every later date
        ("USD", D(2026, 10, 5), D(2026, 10, 10)),
    ]
    facts = pl.LazyFrame(
        {
            "currency": ["USD", "USD", "USD", "USD", "GBP", "EUR"],
            "order_date": [D(2026, 10, 4), D(2026, 10, 5), D(2026, 10, 9), D(2026, 10, 10),
                           D(2026, 10, 30), D(2026, 10, 6)],
        }
    )  # fmt: skip
    got = dates_in_rate_ranges(facts, ranges.lazy(), "order_date").collect()
    assert sorted(got.get_column("order_date").to_list()) == [
        D(2026, 10, 5), D(2026, 10, 9), D(2026, 10, 30)]  # fmt: skip


def test_orders_in_a_changed_version_window_of_their_customer() -> None:
    # C1 was one version; a tier change on the 10th closes it and opens version 2.
    dim_changes = pl.LazyFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2", "C2"],
            "customer_key": [11, 11, 12, 21, 21],
            "version": [1, 1, 2, 1, 1],
            "valid_from": [_at(1), _at(1), _at(10), _at(1), _at(1)],
            "valid_to": [OPEN, _at(10), OPEN, OPEN, OPEN],
            # C2: a type 1 change (rewritten, same window): moves no key
            "_change_type": ["update_preimage", "update_postimage", "insert",
                             "update_preimage", "update_postimage"],
        }
    )  # fmt: skip
    windows = changed_customer_windows(dim_changes)
    orders = pl.LazyFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C3"],
            "created_at": [_at(3, 9), _at(12, 9), _at(12, 9), _at(12, 9)],
            "order_date": [D(2026, 10, 3), D(2026, 10, 12), D(2026, 10, 13), D(2026, 10, 14)],
        }
    )
    got = orders_in_windows(orders, windows).collect().get_column("order_date")
    # The 3rd is in C1's old (and new) version 1 window: recomputed too, a harmless superset.
    assert sorted(got.to_list()) == [D(2026, 10, 3), D(2026, 10, 12)]


def test_version_one_also_covers_orders_stamped_before_registration() -> None:
    dim_changes = pl.LazyFrame(
        {"customer_id": ["C1"], "customer_key": [11], "version": [1], "valid_from": [_at(5)],
         "valid_to": [OPEN], "_change_type": ["insert"]}
    )  # fmt: skip
    orders = pl.LazyFrame(
        {"customer_id": ["C1"], "created_at": [_at(2)], "order_date": [D(2026, 10, 2)]}
    )
    got = orders_in_windows(orders, changed_customer_windows(dim_changes)).collect()
    assert got.get_column("order_date").to_list() == [D(2026, 10, 2)]


def test_orders_in_windows_can_keep_the_order_ids() -> None:
    """The fact's night rebuilds the orders themselves: their ids come with their dates."""
    dim_changes = pl.LazyFrame(
        {"customer_id": ["C1"], "customer_key": [11], "version": [1], "valid_from": [_at(5)],
         "valid_to": [OPEN], "_change_type": ["insert"]}
    )  # fmt: skip
    orders = pl.LazyFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C1", "C2"],
            "created_at": [_at(6), _at(7), _at(6)],
            "order_date": [D(2026, 10, 6), D(2026, 10, 7), D(2026, 10, 6)],
        }
    )
    windows = changed_customer_windows(dim_changes)
    got = orders_in_windows(orders, windows, ("order_id", "order_date")).collect()
    assert sorted(got.iter_rows()) == [("O1", D(2026, 10, 6)), ("O2", D(2026, 10, 7))]


def test_orders_of_lines_are_their_orders_only_whatever_the_id_range() -> None:
    orders = pl.LazyFrame({"order_id": ["O1", "O2", "O3", "O4", "O5"], "currency": list("ABCDE")})
    # O2 and O4 bound the range; O3 lies inside it without a line, O9 has no order.
    lines = pl.DataFrame({"order_id": ["O4", "O2", "O2", None, "O9"]})

    found = orders_of(lines, orders).collect().sort("order_id")

    assert found.rows() == [("O2", "B"), ("O4", "D")]
    no_ids = pl.DataFrame({"order_id": [None]}, schema={"order_id": pl.String})
    assert orders_of(no_ids, orders).collect().is_empty()
