"""Incremental fact loads over the fakesnow server: only changed partitions are touched.

Row-level evidence: every row carries the ``_LOAD_ID`` of the load that last wrote it, and the
load state table records each partition's fingerprint and load.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from retail_platform.local.stack import StackState
from retail_platform.resources.warehouse import (
    LoadResult,
    SnowflakeWarehouse,
    WarehouseLoadError,
)
from retail_platform_tests.resources.test_warehouse import (
    TEST_SCHEMA,
    failing_step,
    local_warehouse,
    query,
    refusing_warehouse,
    unique_table,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(local_stack: StackState) -> SnowflakeWarehouse:
    """The session's fakesnow server, in the loader tests' schema."""
    return local_warehouse(local_stack.endpoints.snowflake_port)


@pytest.fixture
def offline_warehouse(monkeypatch: pytest.MonkeyPatch) -> SnowflakeWarehouse:
    return refusing_warehouse(monkeypatch)


DAY_1, DAY_2, DAY_3 = 20261001, 20261002, 20261003
FACT_SCHEMA = {
    "line_key": pl.Int64,
    "date_key": pl.Int32,
    "quantity": pl.Int32,
    "amount": pl.Decimal(18, 2),
}


def lines(rows: list[tuple[int, int, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(key, day, quantity, Decimal(amount)) for key, day, quantity, amount in rows],
        schema=FACT_SCHEMA,
        orient="row",
    )


# Three days, three lines each: line_key = day * 10 + n.
VERSION_1 = lines(
    [(day * 10 + n, day, n, f"{n}.50") for day in (DAY_1, DAY_2, DAY_3) for n in (1, 2, 3)]
)


def load(
    warehouse: SnowflakeWarehouse, table: str, frame: pl.DataFrame, load_id: str
) -> LoadResult:
    return warehouse.load_table(
        table, frame, primary_key=["line_key"], partition_column="date_key", load_id=load_id
    )


def rows_by_load(warehouse: SnowflakeWarehouse, table: str) -> dict[int, tuple]:
    rows = query(warehouse, f"SELECT LINE_KEY, DATE_KEY, QUANTITY, AMOUNT, _LOAD_ID FROM {table}")
    return {row[0]: tuple(row[1:]) for row in rows}


def recorded_state(warehouse: SnowflakeWarehouse, table: str) -> dict[str, tuple[int, str]]:
    rows = query(
        warehouse,
        "SELECT PARTITION_KEY, ROW_COUNT, LOAD_ID FROM RETAIL.LOAD_CONTROL.LOADED_PARTITIONS "
        "WHERE TABLE_NAME = ?",
        [f"{TEST_SCHEMA}.{table.upper()}"],
    )
    return {key: (int(count), load_id) for key, count, load_id in rows}


def test_the_first_load_writes_every_partition_and_records_it(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("fact")

    result = load(warehouse, table, VERSION_1, "v1")

    assert result.mode == "incremental"
    assert sorted(result.partitions_loaded) == [str(DAY_1), str(DAY_2), str(DAY_3)]
    assert (result.rows_loaded, result.rows_inserted, result.rows_updated) == (9, 9, 0)
    assert recorded_state(warehouse, table) == {
        str(DAY_1): (3, "v1"),
        str(DAY_2): (3, "v1"),
        str(DAY_3): (3, "v1"),
    }


def test_a_change_in_one_partition_touches_only_that_partition(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("fact")
    load(warehouse, table, VERSION_1, "v1")
    # Day 2 only: line 22 changes quantity, line 23 disappears, line 24 appears.
    version_2 = pl.concat(
        [
            VERSION_1.filter(pl.col("line_key") != DAY_2 * 10 + 3).with_columns(
                quantity=pl.when(pl.col("line_key") == DAY_2 * 10 + 2)
                .then(7)
                .otherwise(pl.col("quantity"))
            ),
            lines([(DAY_2 * 10 + 4, DAY_2, 4, "4.50")]),
        ]
    )

    result = load(warehouse, table, version_2, "v2")

    assert result.partitions_loaded == (str(DAY_2),) and result.partitions_removed == ()
    assert result.rows_loaded == 3  # day 2's rows, nothing else travelled
    assert (result.rows_inserted, result.rows_updated, result.rows_deleted) == (1, 1, 1)
    assert result.rows_merged == 2
    rows = rows_by_load(warehouse, table)
    touched = {key for key, row in rows.items() if row[-1] == "v2"}
    assert touched == {DAY_2 * 10 + 2, DAY_2 * 10 + 4}  # the updated and the inserted row
    assert rows[DAY_2 * 10 + 1] == (DAY_2, 1, Decimal("1.50"), "v1")  # unchanged, untouched
    assert DAY_2 * 10 + 3 not in rows
    assert {row[-1] for key, row in rows.items() if row[0] != DAY_2} == {"v1"}
    assert recorded_state(warehouse, table) == {
        str(DAY_1): (3, "v1"),
        str(DAY_2): (3, "v2"),
        str(DAY_3): (3, "v1"),
    }
    # The merged table holds exactly what a full load of version 2 holds.
    fresh = unique_table("fact")
    assert load(warehouse, fresh, version_2, "fresh").checksum == result.checksum


def test_loading_the_same_version_twice_changes_nothing(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("fact")
    first = load(warehouse, table, VERSION_1, "v1")

    second = load(warehouse, table, VERSION_1.sample(fraction=1.0, shuffle=True, seed=3), "v2")

    assert second.unchanged and second.rows_loaded == 0 and second.checksum == first.checksum
    assert {row[-1] for row in rows_by_load(warehouse, table).values()} == {"v1"}


def test_a_partition_gone_from_gold_is_deleted(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("fact")
    load(warehouse, table, VERSION_1, "v1")

    result = load(warehouse, table, VERSION_1.filter(pl.col("date_key") != DAY_3), "v2")

    assert result.partitions_loaded == () and result.partitions_removed == (str(DAY_3),)
    assert (result.rows_loaded, result.rows_deleted, result.row_count) == (0, 3, 6)
    assert {row[0] for row in rows_by_load(warehouse, table).values()} == {DAY_1, DAY_2}
    assert set(recorded_state(warehouse, table)) == {str(DAY_1), str(DAY_2)}


def test_a_line_moving_to_another_day_is_updated_not_duplicated(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("fact")
    load(warehouse, table, VERSION_1, "v1")
    moved = DAY_1 * 10 + 1
    version_2 = VERSION_1.with_columns(
        date_key=pl.when(pl.col("line_key") == moved).then(DAY_3).otherwise(pl.col("date_key"))
    )

    result = load(warehouse, table, version_2, "v2")

    assert sorted(result.partitions_loaded) == [str(DAY_1), str(DAY_3)]
    assert (result.rows_inserted, result.rows_updated, result.rows_deleted) == (0, 1, 0)
    rows = rows_by_load(warehouse, table)
    assert len(rows) == 9 and rows[moved][0] == DAY_3 and rows[moved][-1] == "v2"


def test_a_partition_damaged_in_the_warehouse_is_reloaded(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("fact")
    load(warehouse, table, VERSION_1, "v1")
    query(warehouse, f"DELETE FROM {table} WHERE LINE_KEY = ?", [DAY_1 * 10 + 2])

    result = load(warehouse, table, VERSION_1, "v2")

    assert result.partitions_loaded == (str(DAY_1),)
    assert result.rows_inserted == 1 and result.row_count == 9


def test_a_failure_after_the_merge_rolls_back_target_and_state(
    warehouse: SnowflakeWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = unique_table("fact")
    first = load(warehouse, table, VERSION_1, "v1")
    version_2 = VERSION_1.with_columns(quantity=pl.col("quantity") + 10)
    steps: list[str] = []

    failing_step(monkeypatch, "record load state", steps)
    with pytest.raises(WarehouseLoadError, match="'record load state'"):
        load(warehouse, table, version_2, "v2")
    monkeypatch.undo()

    assert {"delete vanished rows", "merge"} <= set(steps)  # merged, then rolled back
    assert warehouse.table_checksum(table) == first.checksum
    assert {row[-1] for row in rows_by_load(warehouse, table).values()} == {"v1"}
    assert {load_id for _, load_id in recorded_state(warehouse, table).values()} == {"v1"}
    retry = load(warehouse, table, version_2, "v3")
    assert retry.rows_updated == 9 and {
        row[1] for row in rows_by_load(warehouse, table).values()
    } == {11, 12, 13}


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (VERSION_1, {"partition_column": "date_key"}, "needs a primary key"),
        (
            VERSION_1.with_columns(date_key=pl.lit(None, pl.Int32)),
            {"partition_column": "date_key", "primary_key": ["line_key"]},
            "holds nulls",
        ),
        (
            VERSION_1,
            {"partition_column": "amount", "primary_key": ["line_key"]},
            "unsupported type",
        ),
        (VERSION_1, {"partition_column": "day", "primary_key": ["line_key"]}, "not in the frame"),
    ],
)
def test_unusable_partition_columns_are_refused_before_connecting(
    offline_warehouse: SnowflakeWarehouse,
    frame: pl.DataFrame,
    kwargs: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        offline_warehouse.load_table("fact", frame, **kwargs)
