import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from benchmarks.datagen import generate_bronze, generate_bronze_pieces, volumes
from benchmarks.order_feed import late_updates
from benchmarks.window import Window
from retail_platform.contracts import bronze

DAY = 86_400
WINDOW_START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
NEW_DAY = WINDOW_START + 30 * DAY


THIRTY_DAYS = Window(history_days=30, late_window_days=30)


def test_sf1_is_400_000_orders_over_the_history_plus_the_incremental_day() -> None:
    # 400,000 * 31 / 30 and 400,000 * 366 / 365: one more day at the history's daily rate.
    assert volumes(1.0, 30) == {"orders": 413_333, "customers": 44_000, "products": 6_600}
    assert volumes(1.0, 365) == {"orders": 401_096, "customers": 44_000, "products": 6_600}
    assert volumes(1.0) == volumes(1.0, 365)  # a year of history by default


def test_the_window_reaches_back_from_the_fixed_new_day() -> None:
    window = Window(history_days=365, late_window_days=40)

    assert window.new_day == date(2026, 10, 31)
    assert window.first_day == date(2025, 10, 31)
    assert window.full_build_days == (date(2025, 10, 31), date(2026, 10, 30))
    assert window.days == 366


def test_a_late_window_longer_than_the_history_is_refused() -> None:
    with pytest.raises(ValueError, match="late-update window"):
        Window(history_days=30, late_window_days=40)


def test_tables_follow_the_bronze_contracts_and_split_on_the_incremental_day() -> None:
    data = generate_bronze(0.005, seed=3, window=THIRTY_DAYS)

    assert data.unknown_columns == {}
    for name, contract in (("orders", bronze.ORDERS), ("payments", bronze.PAYMENTS)):
        assert data.tables[name].schema == contract.polars_schema
    full, delivery = data.full_build(), data.incremental_delivery()
    assert full["orders"]["_partition_date"].min() == date(2026, 10, 1)
    assert full["orders"]["_partition_date"].max() == date(2026, 10, 30)
    assert set(delivery["orders"]["_partition_date"].unique()) == {date(2026, 10, 31)}
    assert full["orders"].height + delivery["orders"].height == data.tables["orders"].height
    assert set(full) == {"orders", "payments", "customers", "products"}


def test_order_lines_are_json_lists_with_1_to_5_lines_and_a_few_defects() -> None:
    orders = generate_bronze(0.01, seed=3, window=THIRTY_DAYS).tables["orders"]
    well_formed = orders.filter(pl.col("lines").str.starts_with("["))
    line_counts = [len(json.loads(text)) for text in well_formed["lines"]]

    assert set(line_counts) == {1, 2, 3, 4, 5}
    assert 2.3 < sum(line_counts) / len(line_counts) < 2.7
    assert orders.filter(pl.col("_error").is_not_null())["customer_id"].null_count() > 0
    assert orders.filter(pl.col("lines").str.starts_with('"')).height > 0
    assert orders.filter(pl.col("lines").str.contains('"quantity": "one"')).height > 0


def _version(order: int, status: str, created_day: int, updated_day: int, **extra: object) -> dict:
    created = WINDOW_START + created_day * DAY + 3600
    return {"_order": order, "order_id": f"O{order}", "status": status, "_created_s": created,
            "_updated_s": WINDOW_START + updated_day * DAY + 7200, "lines": "[]",
            "_error": None} | extra  # fmt: skip


def test_late_updates_move_open_orders_on_and_correct_some_order_dates() -> None:
    feed = pl.DataFrame(
        [
            _version(1, "placed", 5, 5),
            _version(2, "paid", 3, 3),
            _version(2, "shipped", 3, 4),
            _version(3, "cancelled", 2, 2),  # final: no late version
            _version(4, "paid", 6, 30),  # already has a version on the new day
            _version(5, "paid", 7, 7, _error="missing customer_id"),  # malformed last version
            _version(6, "paid", 0, 0),  # placed on the first day: its date cannot move earlier
        ]
    ).with_columns(created_at=pl.lit("x"), updated_at=pl.lit("x"))

    # Every eligible order gets a late version, and every one that can moves a day earlier.
    late = late_updates(np.random.default_rng(1), feed, NEW_DAY, WINDOW_START, 1.0, 1.0)

    assert late.columns == feed.columns
    rows = late.sort("_order").select("order_id", "status", "created_at").rows()
    assert rows == [
        ("O1", "cancelled", "2026-10-05T01:00:00Z"),
        ("O2", "returned", "2026-10-03T01:00:00Z"),
        ("O6", "shipped", "2026-10-01T01:00:00Z"),
    ]
    updated_days = late.get_column("updated_at").str.slice(0, 10).unique().to_list()
    assert updated_days == ["2026-10-31"]


def test_the_new_day_brings_late_versions_of_older_orders_and_the_partner_files() -> None:
    data = generate_bronze(0.01, seed=3, tables=("orders", "payments", "customers", "products",
                                                  "partner_sales", "partners"),
                           window=THIRTY_DAYS)  # fmt: skip
    full, delivery = data.full_build(), data.incremental_delivery()

    # Returns come at most 5 days after an order is placed: a version of an order placed a
    # week or more before the new day is a late update.
    orders = delivery["orders"]
    placed = orders.get_column("created_at").str.slice(0, 10)
    assert orders.filter(placed < "2026-10-24").height > 20
    before = full["orders"].group_by("order_id").agg(pl.col("created_at").first())
    moved = orders.join(before, on="order_id", suffix="_before").filter(
        pl.col("created_at") != pl.col("created_at_before")
    )
    assert moved.height > 0
    # One file per partner and day, keyed and batched by its day.
    sales = delivery["partner_sales"]
    assert sales.height > 0
    assert set(sales.get_column("_batch_id")) == {"bench:2026-10-31"}
    assert all(key.endswith("/2026-10-31.csv") for key in sales.get_column("_source_key"))
    assert "bench:2026-10-31" not in set(full["partner_sales"].get_column("_batch_id"))
    assert full["partner_sales"].height + sales.height == data.tables["partner_sales"].height
    assert "partners" not in delivery


def test_late_updates_go_to_orders_placed_in_the_recent_window_only() -> None:
    feed = pl.DataFrame(
        [
            _version(1, "paid", 5, 5),  # placed before the window: never updated late
            _version(2, "paid", 20, 20),
            _version(3, "placed", 25, 25),
        ]
    ).with_columns(created_at=pl.lit("x"), updated_at=pl.lit("x"))

    late = late_updates(
        np.random.default_rng(1), feed, NEW_DAY, WINDOW_START, 1.0, 0.0,
        placed_since_s=WINDOW_START + 10 * DAY,
    )  # fmt: skip

    assert late.sort("_order").select("order_id", "status").rows() == [
        ("O2", "shipped"),
        ("O3", "cancelled"),
    ]


def test_a_year_of_history_keeps_the_rows_per_scale_factor_over_every_day() -> None:
    tables = ("orders", "payments", "customers", "products", "partner_sales", "partners")
    year = generate_bronze(0.02, seed=3, tables=tables, window=Window(365, 40))
    month = generate_bronze(0.02, seed=3, tables=tables, window=THIRTY_DAYS)

    # 8,000 orders at SF0.02 in the full build, whatever the history's length (the new day's
    # share is drawn at random: a few dozen either way).
    for data in (year, month):
        placed = data.full_build()["orders"].get_column("order_id").n_unique()
        assert 7_900 <= placed <= 8_100
    full = year.full_build()
    order_days = full["orders"].get_column("_partition_date").unique()
    assert order_days.len() == 365  # ~22 orders a day: every day has some
    assert (order_days.min(), order_days.max()) == (date(2025, 10, 31), date(2026, 10, 30))
    # One partner file a day at most: a file's rows share its partner and its day.
    sales = year.tables["partner_sales"]
    per_file = sales.group_by("_source_key").agg(
        pl.col("partner_id").n_unique().alias("partners"),
        pl.col("_batch_id").n_unique().alias("days"),
    )
    assert per_file.get_column("partners").max() == per_file.get_column("days").max() == 1
    batches = sales.get_column("_batch_id").unique().sort()
    assert (batches.len(), batches[0], batches[-1]) == (366, "bench:2025-10-31", "bench:2026-10-31")


def test_the_new_days_late_updates_touch_only_orders_of_the_late_window() -> None:
    data = generate_bronze(0.02, seed=3, window=Window(365, 40))
    new_day = date(2026, 10, 31)

    orders = data.incremental_delivery()["orders"]
    placed = orders.get_column("created_at").str.slice(0, 10).str.to_date()
    # A late version's order was placed in the 40 days before the new day, or a day earlier
    # when its order date was corrected.
    assert placed.min() >= new_day - timedelta(days=41)
    # 1% of the ~8,000 orders placed before the new day get a late version: at most 81. All
    # but those placed in the last 6 days (when orders still ship and come back by themselves)
    # are late updates: about 34/40 of them.
    old = orders.filter(placed < new_day - timedelta(days=6)).get_column("order_id")
    assert 50 <= old.len() <= 81
    assert old.n_unique() == old.len()


def test_pieces_number_orders_and_payments_on_from_each_other() -> None:
    # 4,133 orders (0.01 * 400,000 * 31 / 30) in pieces of 1,000: five order pieces.
    pieces = list(generate_bronze_pieces(0.01, seed=3, window=THIRTY_DAYS, orders_per_piece=1_000))
    with_orders = [piece.tables["orders"] for piece in pieces if "orders" in piece.tables]

    assert len(with_orders) == 5 + 1  # and the late versions' piece
    assert "customers" in pieces[0].tables and "orders" not in pieces[0].tables
    orders = pl.concat(with_orders)
    assert orders.get_column("order_id").n_unique() == 4_133
    assert (orders.get_column("order_id").min(), orders.get_column("order_id").max()) == (
        "O00000001",
        "O00004133",
    )
    payments = pl.concat(piece.tables["payments"] for piece in pieces if "payments" in piece.tables)
    ids = payments.get_column("payment_id")
    assert ids.n_unique() == payments.height
    assert (ids.min(), ids.max()) == ("PAY00000001", f"PAY{payments.height:08d}")
    assert set(payments.get_column("order_id")) <= set(orders.get_column("order_id"))
    # Late versions come last, all on the new day.
    late = with_orders[-1]
    assert set(late.get_column("_partition_date")) == {date(2026, 10, 31)}
    assert late.height == round(4_000 * 0.01)  # ~4,000 orders placed before the new day
