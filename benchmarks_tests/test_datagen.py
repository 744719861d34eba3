import json
from datetime import date

import polars as pl

from benchmarks.datagen import generate_bronze, incremental_day, volumes
from retail_platform.contracts import bronze


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
