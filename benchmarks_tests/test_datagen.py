import json
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from benchmarks.datagen import generate_bronze, incremental_day, volumes
from benchmarks.order_feed import late_updates
from retail_platform.contracts import bronze

DAY = 86_400
WINDOW_START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
NEW_DAY = WINDOW_START + 30 * DAY


def test_sf1_is_400_000_orders_over_30_days_plus_the_incremental_day() -> None:
    assert volumes(1.0) == {"orders": 413_333, "customers": 44_000, "products": 6_600}


def test_tables_follow_the_bronze_contracts_and_split_on_the_incremental_day() -> None:
    data = generate_bronze(0.005, seed=3)

    assert data.unknown_columns == {}
    for name, contract in (("orders", bronze.ORDERS), ("payments", bronze.PAYMENTS)):
        assert data.tables[name].schema == contract.polars_schema
    full, delivery = data.full_build(), data.incremental_delivery()
    assert incremental_day() == date(2026, 10, 31)
    assert full["orders"]["_partition_date"].max() == date(2026, 10, 30)
    assert set(delivery["orders"]["_partition_date"].unique()) == {date(2026, 10, 31)}
    assert full["orders"].height + delivery["orders"].height == data.tables["orders"].height
    assert set(full) == {"orders", "payments", "customers", "products"}


def test_order_lines_are_json_lists_with_1_to_5_lines_and_a_few_defects() -> None:
    orders = generate_bronze(0.01, seed=3).tables["orders"]
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
                                                  "partner_sales", "partners"))  # fmt: skip
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
