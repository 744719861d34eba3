"""Loads of a lazy source over the fakesnow server: read in parts, limited to a scope.

The source is lazy (as gold's audited version is in the pipeline); ``scope`` names the
partitions that can have changed since the last load. Evidence of what the loader read:
``partitions_read`` (partitions fingerprinted) and ``files_staged`` (one Parquet file per
part) in the LoadResult, and each row's ``_LOAD_ID``.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from retail_platform.local.stack import StackState
from retail_platform.resources.warehouse import (
    LoadResult,
    PrimaryKeyViolationError,
    SnowflakeWarehouse,
)
from retail_platform_tests.resources.test_warehouse import (
    TEST_SCHEMA,
    local_warehouse,
    query,
    unique_table,
)
from retail_platform_tests.resources.test_warehouse_incremental import (
    DAY_1,
    DAY_2,
    DAY_3,
    VERSION_1,
    lines,
    recorded_state,
    rows_by_load,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(local_stack: StackState) -> SnowflakeWarehouse:
    return local_warehouse(local_stack.endpoints.snowflake_port)


def load(
    warehouse: SnowflakeWarehouse,
    table: str,
    frame: pl.DataFrame,
    load_id: str,
    scope: set[int] | None = None,
) -> LoadResult:
    return warehouse.load_table(
        table,
        frame.lazy(),
        primary_key=["line_key"],
        partition_column="date_key",
        load_id=load_id,
        scope=scope,
    )


def with_quantity(frame: pl.DataFrame, line_key: int, quantity: int) -> pl.DataFrame:
    changed = pl.when(pl.col("line_key") == line_key).then(quantity).otherwise(pl.col("quantity"))
    return frame.with_columns(quantity=changed)


def test_a_scoped_load_reads_and_stages_only_the_scope(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("parts")
    first = load(warehouse, table, VERSION_1, "v1")
    assert (first.partitions_read, first.read_everything) == (3, True)
    # Gold changes line 21 (day 2) and line 11 (day 1), but the scope names day 2 only: the
    # loader must not even look at day 1, so Snowflake keeps day 1's old line 11.
    version_2 = with_quantity(with_quantity(VERSION_1, DAY_2 * 10 + 1, 9), DAY_1 * 10 + 1, 8)

    result = load(warehouse, table, version_2, "v2", scope={DAY_2})

    assert result.partitions_loaded == (str(DAY_2),) and result.partitions_removed == ()
    assert (result.partitions_read, result.read_everything, result.files_staged) == (1, False, 1)
    assert (result.rows_loaded, result.rows_updated, result.rows_inserted) == (3, 1, 0)
    rows = rows_by_load(warehouse, table)
    assert rows[DAY_2 * 10 + 1] == (DAY_2, 9, Decimal("1.50"), "v2")
    assert rows[DAY_1 * 10 + 1] == (DAY_1, 1, Decimal("1.50"), "v1")  # outside the scope
    assert recorded_state(warehouse, table)[str(DAY_2)] == (3, "v2")


def test_a_date_in_scope_gone_from_gold_is_removed_and_only_that_one(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("parts")
    load(warehouse, table, VERSION_1, "v1")
    # Day 3 is gone from gold; day 1 is gone too but outside the scope: it stays.
    version_2 = VERSION_1.filter(pl.col("date_key") == DAY_2)

    result = load(warehouse, table, version_2, "v2", scope={DAY_3})

    assert result.partitions_loaded == () and result.partitions_removed == (str(DAY_3),)
    assert (result.partitions_read, result.rows_deleted, result.row_count) == (0, 3, 6)
    assert {row[0] for row in rows_by_load(warehouse, table).values()} == {DAY_1, DAY_2}
    assert set(recorded_state(warehouse, table)) == {str(DAY_1), str(DAY_2)}


def test_rows_deleted_in_snowflake_are_reloaded_outside_the_scope(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("parts")
    load(warehouse, table, VERSION_1, "v1")
    query(warehouse, f"DELETE FROM {table} WHERE LINE_KEY IN (?, ?)", [DAY_1 * 10 + 2, 31])

    result = load(warehouse, table, VERSION_1, "v2", scope=set())  # gold did not change

    assert result.partitions_loaded == (str(DAY_1),)  # its count differs from the state
    assert (result.partitions_read, result.rows_loaded, result.rows_inserted) == (1, 3, 1)
    assert result.row_count == 9
    assert rows_by_load(warehouse, table)[DAY_1 * 10 + 2] == (DAY_1, 2, Decimal("2.50"), "v2")


def test_an_unchanged_gold_version_reads_nothing(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("parts")
    first = load(warehouse, table, VERSION_1, "v1")

    again = load(warehouse, table, VERSION_1, "v2", scope=set())

    assert again.unchanged and (again.partitions_read, again.files_staged) == (0, 0)
    assert again.checksum == first.checksum


def test_a_load_in_parts_equals_a_load_in_one_part(warehouse: SnowflakeWarehouse) -> None:
    in_parts = warehouse.model_copy(update={"load_part_rows": 2})
    parted, whole = unique_table("parts"), unique_table("parts")

    by_parts = load(in_parts, parted, VERSION_1, "v1")
    at_once = load(warehouse, whole, VERSION_1, "v1")

    # 3 rows a day: every day reaches 2 rows, so each is a part of its own.
    assert (by_parts.files_staged, at_once.files_staged) == (3, 1)
    assert by_parts.rows_loaded == at_once.rows_loaded == 9
    assert by_parts.checksum == at_once.checksum
    assert rows_by_load(warehouse, parted) == rows_by_load(warehouse, whole)
    fingerprints = (
        "SELECT PARTITION_KEY, FINGERPRINT FROM RETAIL.LOAD_CONTROL.LOADED_PARTITIONS "
        "WHERE TABLE_NAME = ? ORDER BY PARTITION_KEY"
    )
    assert query(warehouse, fingerprints, [f"{TEST_SCHEMA}.{parted.upper()}"]) == query(
        warehouse, fingerprints, [f"{TEST_SCHEMA}.{whole.upper()}"]
    )


def test_a_key_repeated_across_parts_is_refused(warehouse: SnowflakeWarehouse) -> None:
    in_parts = warehouse.model_copy(update={"load_part_rows": 2})
    # Line 11 also appears on day 3: each part (one day) alone has unique keys, the load not.
    repeated = pl.concat([VERSION_1, lines([(DAY_1 * 10 + 1, DAY_3, 5, "5.00")])])
    first, second = unique_table("parts"), unique_table("parts")

    with pytest.raises(PrimaryKeyViolationError, match="across the load's parts"):
        load(in_parts, first, repeated, "v1")  # every day is staged: caught on the stage
    load(in_parts, second, VERSION_1, "v1")
    with pytest.raises(PrimaryKeyViolationError, match=r"held by partitions \['20261001'\]"):
        load(in_parts, second, repeated, "v2")  # day 3 only is staged; day 1 keeps line 11

    assert query(warehouse, f"SELECT COUNT(*) FROM {first}") == [(0,)]
    assert {row[-1] for row in rows_by_load(warehouse, second).values()} == {"v1"}


def test_a_scope_missing_a_moved_rows_old_date_is_widened(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("parts")
    load(warehouse, table, VERSION_1, "v1")
    moved = DAY_1 * 10 + 1  # to day 3; a scope naming day 3 alone misses day 1
    version_2 = VERSION_1.with_columns(
        date_key=pl.when(pl.col("line_key") == moved).then(DAY_3).otherwise(pl.col("date_key"))
    )

    result = load(warehouse, table, version_2, "v2", scope={DAY_3})

    assert sorted(result.partitions_loaded) == [str(DAY_1), str(DAY_3)]
    assert (result.partitions_read, result.read_everything) == (2, False)
    rows = rows_by_load(warehouse, table)
    assert len(rows) == 9 and rows[moved][0] == DAY_3
    assert recorded_state(warehouse, table)[str(DAY_1)] == (2, "v2")
    assert recorded_state(warehouse, table)[str(DAY_3)] == (4, "v2")


def test_a_full_table_is_read_only_when_it_can_differ(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("parts")
    frame = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})

    def full_load(scope: set[int] | None, load_id: str) -> LoadResult:
        return warehouse.load_table(
            table, frame.lazy(), primary_key=["id"], load_id=load_id, scope=scope
        )

    assert full_load(None, "v1").partitions_loaded == ("*",)
    untouched = full_load(set(), "v2")
    assert untouched.unchanged and untouched.partitions_read == 0
    query(warehouse, f"DELETE FROM {table} WHERE ID = ?", [2])
    repaired = full_load(set(), "v3")  # same gold version, but Snowflake lost a row
    assert repaired.partitions_loaded == ("*",) and repaired.partitions_read == 1
    assert repaired.row_count == 3


def test_fingerprints_of_an_unknown_format_read_everything_once(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("parts")
    load(warehouse, table, VERSION_1, "v1")
    query(
        warehouse,
        "DELETE FROM RETAIL.LOAD_CONTROL.LOADED_PARTITIONS WHERE TABLE_NAME = ?",
        [f"{TEST_SCHEMA}.{table.upper()}#format"],
    )  # as a load state written before the format was recorded

    upgraded = load(warehouse, table, VERSION_1, "v2", scope=set())
    after = load(warehouse, table, VERSION_1, "v3", scope=set())

    assert upgraded.unchanged and (upgraded.partitions_read, upgraded.read_everything) == (3, True)
    assert after.unchanged and (after.partitions_read, after.read_everything) == (0, False)
    assert {row[-1] for row in rows_by_load(warehouse, table).values()} == {"v1"}
