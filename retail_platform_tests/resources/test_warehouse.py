"""SnowflakeWarehouse: full-table loads against the real fakesnow server, and the helpers the
other warehouse test modules share.

Validation is in test_warehouse_validation.py, incremental loads in
test_warehouse_incremental.py, the killed load in test_warehouse_kill.py, governance in
test_warehouse_governance.py and the real-Snowflake tests in test_warehouse_real.py.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from retail_platform.local.stack import StackState
from retail_platform.resources.warehouse import (
    SnowflakeWarehouse,
    StatementRunner,
    WarehouseColumn,
    WarehouseLoadError,
)

HOST = "127.0.0.1"
TEST_SCHEMA = "LOADER_TESTS"  # apart from the pipeline's GOLD on the shared server
SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_fakesnow(db_path: Path, log_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """A persisted fakesnow server of its own, for restart tests; always stopped."""
    port = _free_port()
    command = [sys.executable, "-m", "retail_platform.local.fakesnow_server"]
    command += ["--host", HOST, "--port", str(port), "--db-path", str(db_path)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _port_accepts(port):
            if process.poll() is not None:
                pytest.fail(f"fakesnow server exited with {process.returncode}: see {log_path}")
            if time.monotonic() > deadline:
                pytest.fail(f"fakesnow server not listening after {SERVER_START_TIMEOUT_S}s")
            time.sleep(0.1)
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def local_warehouse(port: int, schema: str = TEST_SCHEMA) -> SnowflakeWarehouse:
    local = {"host": HOST, "port": port, "protocol": "http", "create_database_if_missing": True}
    return SnowflakeWarehouse(
        account="fakesnow", user="fake", password="snow", schema_name=schema, **local
    )


@pytest.fixture(scope="module")
def warehouse(local_stack: StackState) -> SnowflakeWarehouse:
    """The session's fakesnow server (see conftest), in a schema of the tests' own."""
    return local_warehouse(local_stack.endpoints.snowflake_port)


def refusing_warehouse(monkeypatch: pytest.MonkeyPatch) -> SnowflakeWarehouse:
    """A warehouse whose connect() fails the test: validation must happen before it."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("connected to Snowflake before validating the input")

    monkeypatch.setattr("snowflake.connector.connect", refuse)
    return SnowflakeWarehouse(account="unused", user="unused", password="unused")


def unique_table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def query(warehouse: SnowflakeWarehouse, sql: str, params: list[Any] | None = None) -> list:
    with warehouse.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


SAMPLE_SCHEMA = {
    "order_id": pl.Int64,
    "quantity": pl.Int32,
    "amount": pl.Decimal(12, 2),
    "customer_name": pl.String,
    "order_date": pl.Date,
    "ordered_at": pl.Datetime("us"),
    "is_paid": pl.Boolean,
    "discount_rate": pl.Float64,
}
SAMPLE_COLUMNS = ", ".join(name.upper() for name in SAMPLE_SCHEMA)


def sample_frame(ids: list[int]) -> pl.DataFrame:
    """Every supported type; amount, customer_name and is_paid hold nulls."""
    return pl.DataFrame(
        {
            "order_id": ids,
            "quantity": [i % 3 for i in ids],
            "amount": [Decimal(f"{i * 10}.25") if i % 2 else None for i in ids],
            "customer_name": [f"customer {i}'s" if i % 2 else None for i in ids],
            "order_date": [date(2026, 10, 1 + i % 28) for i in ids],
            "ordered_at": [datetime(2026, 10, 1, i % 24, 30, 15, 123456) for i in ids],
            "is_paid": [None if i % 5 == 0 else i % 2 == 0 for i in ids],
            "discount_rate": [i / 8 for i in ids],
        },
        schema=SAMPLE_SCHEMA,
    )


def read_sample(warehouse: SnowflakeWarehouse, table: str) -> list[tuple]:
    return query(warehouse, f"SELECT {SAMPLE_COLUMNS} FROM {table} ORDER BY ORDER_ID")


DESCRIBED = [
    WarehouseColumn("order_id", "Order identifier"),
    WarehouseColumn("customer_name", "Customer's display name, masked upstream"),
]


# --- against the fakesnow server: full-table loads -----------------------------------------


@pytest.mark.integration
def test_load_reads_back_exactly_with_types_and_comments(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    frame = sample_frame(list(range(1, 12)))

    result = warehouse.load_table(
        table, frame, columns=DESCRIBED, primary_key=["order_id"], table_description="Orders"
    )

    assert result.table == f"RETAIL.{TEST_SCHEMA}.{table.upper()}"
    assert (result.mode, result.target_change) == ("full", "created")
    assert result.rows_loaded == result.rows_inserted == result.row_count == frame.height
    assert result.partitions_loaded == ("*",) and result.duration_s > 0
    assert result.query_ids and all(result.query_ids)
    assert read_sample(warehouse, table) == frame.rows()
    columns = query(
        warehouse,
        "SELECT COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE "
        "FROM RETAIL.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
        "ORDER BY ORDINAL_POSITION",
        [TEST_SCHEMA, table.upper()],
    )
    assert [(name, kind, p, s) for name, kind, p, s in columns][:4] == [
        ("ORDER_ID", "NUMBER", 19, 0),
        ("QUANTITY", "NUMBER", 10, 0),
        ("AMOUNT", "NUMBER", 12, 2),
        ("CUSTOMER_NAME", "TEXT", None, None),
    ]
    assert [name for name, *_ in columns][-2:] == ["_LOAD_ID", "_LOADED_AT"]
    comment = query(
        warehouse,
        "SELECT COMMENT FROM RETAIL.INFORMATION_SCHEMA.TABLES "
        "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        [TEST_SCHEMA, table.upper()],
    )
    assert comment == [("Orders",)]


@pytest.mark.integration
def test_null_and_time_zone_aware_timestamps(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("events")
    frame = pl.DataFrame(
        {"event_id": [1, 2], "happened_at": [datetime(2026, 10, 1, 12), None]}
    ).with_columns(pl.col("happened_at").dt.replace_time_zone("Europe/Berlin"))  # 10:00 UTC

    warehouse.load_table(table, frame)

    # Compared as text and IS NULL: fakesnow returns a NULL TIMESTAMP_NTZ as 1970-01-01.
    rows = query(
        warehouse,
        f"SELECT event_id, TO_VARCHAR(happened_at), happened_at IS NULL FROM {table} "
        "ORDER BY event_id",
    )
    assert rows == [(1, "2026-10-01 10:00:00", False), (2, None, True)]


@pytest.mark.integration
def test_loading_the_same_version_twice_changes_nothing(
    warehouse: SnowflakeWarehouse, caplog: pytest.LogCaptureFixture
) -> None:
    table = unique_table("orders")
    frame = sample_frame(list(range(1, 30)))

    first = warehouse.load_table(table, frame, primary_key=["order_id"], load_id="first")
    checksum = warehouse.table_checksum(table)
    with caplog.at_level(logging.WARNING):
        # Row order differs: gold builds do not fix it, the fingerprint must not care.
        second = warehouse.load_table(
            table, frame.reverse(), primary_key=["order_id"], load_id="second"
        )

    assert first.checksum == second.checksum == checksum
    assert warehouse.table_checksum(table) == checksum
    assert second.unchanged and second.rows_loaded == 0 and second.row_count == frame.height
    assert (second.rows_inserted, second.rows_updated, second.rows_deleted) == (0, 0, 0)
    assert query(warehouse, f"SELECT DISTINCT _LOAD_ID FROM {table}") == [("first",)]
    assert "recreating" not in caplog.text  # the unchanged schema is recognised


@pytest.mark.integration
def test_a_changed_version_replaces_the_whole_table(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    warehouse.load_table(table, sample_frame([1, 2, 3, 4]), primary_key=["order_id"])
    before = warehouse.table_checksum(table)

    replacement = sample_frame([3, 4, 5])
    result = warehouse.load_table(table, replacement, primary_key=["order_id"], load_id="v2")

    assert read_sample(warehouse, table) == replacement.rows()
    assert (result.rows_deleted, result.rows_inserted, result.row_count) == (4, 3, 3)
    assert query(warehouse, f"SELECT DISTINCT _LOAD_ID FROM {table}") == [("v2",)]
    assert warehouse.table_checksum(table) != before


@pytest.mark.integration
def test_changed_column_types_recreate_the_target(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    warehouse.load_table(table, pl.DataFrame({"order_id": [1], "note": ["old"]}))

    reshaped = pl.DataFrame({"order_id": [2], "note": [Decimal("1.50")]})
    result = warehouse.load_table(table, reshaped)

    assert result.target_change == "recreated"
    assert query(warehouse, f"SELECT order_id, note FROM {table}") == [(2, Decimal("1.50"))]


@pytest.mark.integration
def test_a_new_column_is_added_in_place(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    warehouse.load_table(table, pl.DataFrame({"order_id": [1, 2]}), primary_key=["order_id"])

    widened = pl.DataFrame({"order_id": [1, 2], "channel": ["web", "app"]})
    result = warehouse.load_table(table, widened, primary_key=["order_id"])

    assert result.target_change == "altered"
    rows = query(warehouse, f"SELECT order_id, channel FROM {table} ORDER BY order_id")
    assert rows == [(1, "web"), (2, "app")]


@pytest.mark.integration
def test_an_empty_frame_empties_the_target(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    warehouse.load_table(table, sample_frame([1, 2]))

    result = warehouse.load_table(table, sample_frame([]))

    assert (result.rows_loaded, result.rows_deleted, result.row_count) == (0, 2, 0)
    assert warehouse.table_row_count(table) == 0


@pytest.mark.integration
def test_rows_removed_behind_the_loaders_back_are_restored(warehouse: SnowflakeWarehouse) -> None:
    table = unique_table("orders")
    frame = sample_frame([1, 2, 3])
    warehouse.load_table(table, frame, primary_key=["order_id"])
    query(warehouse, f"DELETE FROM {table} WHERE order_id = 2")

    result = warehouse.load_table(table, frame, primary_key=["order_id"])

    assert not result.unchanged and result.rows_inserted == 3
    assert read_sample(warehouse, table) == frame.rows()


def failing_step(monkeypatch: pytest.MonkeyPatch, failing: str, steps: list[str]) -> None:
    """Make the statement of one named step fail, as a lost connection would."""
    original = StatementRunner.execute

    def execute(self: StatementRunner, step: str, sql: str, params: Any = None) -> Any:
        steps.append(step)
        if step == failing:
            raise WarehouseLoadError(f"{self.table}: step {step!r} failed: injected")
        return original(self, step, sql, params)

    monkeypatch.setattr(StatementRunner, "execute", execute)


@pytest.mark.integration
def test_a_failure_inside_the_swap_keeps_the_previous_contents(
    warehouse: SnowflakeWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = unique_table("orders")
    first = warehouse.load_table(table, sample_frame([1, 2, 3]), primary_key=["order_id"])
    steps: list[str] = []

    failing_step(monkeypatch, "insert", steps)
    with pytest.raises(WarehouseLoadError, match=rf"{table.upper()}.*'insert'"):
        warehouse.load_table(table, sample_frame([7, 8, 9, 10]), primary_key=["order_id"])
    monkeypatch.undo()

    assert {"copy", "begin", "delete"} <= set(steps)  # the delete ran, then was rolled back
    assert warehouse.table_checksum(table) == first.checksum
    assert read_sample(warehouse, table) == sample_frame([1, 2, 3]).rows()
    leftovers = query(
        warehouse,
        "SELECT TABLE_NAME FROM RETAIL.INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = ?",
        [f"{TEST_SCHEMA}__{table.upper()}__STAGE"],
    )
    assert leftovers == []
    # The load state was rolled back too, so the next load sees the change and completes.
    retry = warehouse.load_table(table, sample_frame([7, 8, 9, 10]), primary_key=["order_id"])
    assert (
        retry.rows_inserted == 4
        and read_sample(warehouse, table) == sample_frame([7, 8, 9, 10]).rows()
    )


@pytest.mark.integration
def test_fakesnow_server_persists_across_restarts_and_exits_cleanly(tmp_path: Path) -> None:
    db_path, log_path = tmp_path / "db", tmp_path / "server.log"
    frame = sample_frame([1, 2, 3])
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        with running_fakesnow(db_path, log_path) as (process, port):
            if stop_signal == signal.SIGTERM:
                local_warehouse(port, "GOLD").load_table("persisted", frame)
            else:
                assert local_warehouse(port, "GOLD").table_row_count("persisted") == frame.height
            process.send_signal(stop_signal)
            assert process.wait(timeout=SERVER_STOP_TIMEOUT_S) == 0, log_path.read_text()
    assert (db_path / "RETAIL.db").is_file()
