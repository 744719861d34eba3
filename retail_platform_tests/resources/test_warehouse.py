"""SnowflakeWarehouse against a real fakesnow server process, and real Snowflake when configured."""

from __future__ import annotations

import os
import re
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

from retail_platform.resources import warehouse as warehouse_module
from retail_platform.resources.warehouse import (
    InvalidIdentifierError,
    PrimaryKeyViolationError,
    SnowflakeWarehouse,
    StatementRunner,
    UnsupportedColumnTypeError,
    WarehouseColumn,
    WarehouseLoadError,
    snowflake_type,
)

HOST = "127.0.0.1"
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
    """The persisted fakesnow server as a subprocess; always stopped (killed if it hangs)."""
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


def _local_warehouse(port: int) -> SnowflakeWarehouse:
    local = {"host": HOST, "port": port, "protocol": "http", "create_database_if_missing": True}
    return SnowflakeWarehouse(account="fakesnow", user="fake", password="snow", **local)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnowflakeWarehouse]:
    state = tmp_path_factory.mktemp("fakesnow")
    with running_fakesnow(state / "db", state / "server.log") as (_, port):
        yield _local_warehouse(port)


@pytest.fixture
def offline_warehouse(monkeypatch: pytest.MonkeyPatch) -> SnowflakeWarehouse:
    """A warehouse whose connect() fails the test: validation must happen before it."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("connected to Snowflake before validating the input")

    monkeypatch.setattr("snowflake.connector.connect", refuse)
    return SnowflakeWarehouse(account="unused", user="unused", password="unused")


def _unique_table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _query(warehouse: SnowflakeWarehouse, sql: str, params: list[Any] | None = None) -> list:
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


def _sample_frame(ids: list[int]) -> pl.DataFrame:
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


SAMPLE_COLUMNS = [
    WarehouseColumn("order_id", "Order identifier"),
    WarehouseColumn("customer_name", "Customer's display name, masked upstream"),
]


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        *((integer, "NUMBER(38,0)") for integer in (pl.Int8, pl.Int64, pl.UInt32, pl.UInt64)),
        (pl.Decimal(12, 2), "NUMBER(12,2)"),
        (pl.Decimal(38, 0), "NUMBER(38,0)"),
        (pl.Float32, "FLOAT"),
        (pl.Float64, "FLOAT"),
        (pl.String, "VARCHAR"),
        (pl.Boolean, "BOOLEAN"),
        (pl.Date, "DATE"),
        (pl.Datetime("us"), "TIMESTAMP_NTZ"),
        (pl.Datetime("ns", "Europe/Berlin"), "TIMESTAMP_NTZ"),
    ],
)
def test_snowflake_type_maps_polars_dtypes(dtype: pl.DataType, expected: str) -> None:
    assert snowflake_type("some_column", dtype) == expected


@pytest.mark.parametrize("dtype", [pl.List(pl.Int64), pl.Struct({"a": pl.Int64}), pl.Null])
def test_snowflake_type_rejects_other_dtypes_naming_the_column(dtype: pl.DataType) -> None:
    with pytest.raises(UnsupportedColumnTypeError, match="'basket'"):
        snowflake_type("basket", dtype)


def test_unsupported_dtype_fails_the_load_before_connecting(
    offline_warehouse: SnowflakeWarehouse,
) -> None:
    frame = pl.DataFrame({"order_id": [1], "basket": [[1, 2]]})
    with pytest.raises(UnsupportedColumnTypeError, match="'basket'"):
        offline_warehouse.load_table("orders", frame)


@pytest.mark.parametrize("table", ["orders; DROP TABLE x", 'x"y', "1orders", "o" * 256])
def test_malicious_table_names_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse, table: str
) -> None:
    with pytest.raises(InvalidIdentifierError, match=re.escape(repr(table))):
        offline_warehouse.load_table(table, pl.DataFrame({"a": [1]}))


@pytest.mark.parametrize("column", ['a"b', "a b", "a'--", "x; DROP TABLE y"])
def test_malicious_column_names_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse, column: str
) -> None:
    plain = pl.DataFrame({"a": [1]})
    attempts: list[tuple[pl.DataFrame, dict[str, Any]]] = [
        (pl.DataFrame({column: [1]}), {}),
        (plain, {"primary_key": [column]}),
        (plain, {"columns": [WarehouseColumn(column, "described")]}),
    ]
    for frame, kwargs in attempts:
        with pytest.raises(InvalidIdentifierError, match=re.escape(repr(column))):
            offline_warehouse.load_table("orders", frame, **kwargs)


def test_duplicate_primary_keys_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse,
) -> None:
    frame = pl.DataFrame({"order_id": [1, 1], "amount": [1.0, 2.0]})
    with pytest.raises(PrimaryKeyViolationError, match="ORDERS"):
        offline_warehouse.load_table("orders", frame, primary_key=["order_id"])


def test_key_pair_auth_passes_the_decrypted_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = serialization.BestAvailableEncryption(b"phrase")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    (key_path := tmp_path / "rsa_key.p8").write_bytes(pem)
    credentials = {"private_key_path": str(key_path), "private_key_passphrase": "phrase"}
    resource = SnowflakeWarehouse(account="acme", user="LOADER", warehouse="LOAD_WH", **credentials)
    arguments = resource._connection_arguments()
    loaded = serialization.load_der_private_key(arguments["private_key"], password=None)
    assert loaded.private_numbers() == key.private_numbers()
    assert "password" not in arguments and "host" not in arguments
    assert arguments["warehouse"] == "LOAD_WH" and arguments["paramstyle"] == "qmark"


@pytest.mark.integration
def test_load_reads_back_exactly(warehouse: SnowflakeWarehouse) -> None:
    table = _unique_table("orders")
    frame = _sample_frame(list(range(1, 12)))

    result = warehouse.load_table(
        table, frame, columns=SAMPLE_COLUMNS, primary_key=["order_id"], table_description="Orders"
    )

    assert result.table == f"RETAIL.GOLD.{table.upper()}"
    assert result.rows_loaded == frame.height and result.duration_s > 0
    assert result.query_ids and all(result.query_ids)
    rows = _query(warehouse, f"SELECT * FROM {table} ORDER BY order_id")
    assert rows == frame.rows()
    assert warehouse.table_row_count(table) == frame.height


@pytest.mark.integration
def test_null_and_time_zone_aware_timestamps(warehouse: SnowflakeWarehouse) -> None:
    table = _unique_table("events")
    frame = pl.DataFrame(
        {"event_id": [1, 2], "happened_at": [datetime(2026, 10, 1, 12), None]}
    ).with_columns(pl.col("happened_at").dt.replace_time_zone("Europe/Berlin"))  # 10:00 UTC

    warehouse.load_table(table, frame)

    # Compared as text and IS NULL: fakesnow returns a NULL TIMESTAMP_NTZ as 1970-01-01.
    rows = _query(
        warehouse,
        f"SELECT event_id, TO_VARCHAR(happened_at), happened_at IS NULL FROM {table} "
        "ORDER BY event_id",
    )
    assert rows == [(1, "2026-10-01 10:00:00", False), (2, None, True)]


@pytest.mark.integration
def test_loading_twice_is_idempotent(
    warehouse: SnowflakeWarehouse, caplog: pytest.LogCaptureFixture
) -> None:
    table = _unique_table("orders")
    frame = _sample_frame(list(range(1, 30)))

    warehouse.load_table(table, frame, primary_key=["order_id"])
    first = (warehouse.table_row_count(table), warehouse.table_checksum(table))
    with caplog.at_level("WARNING", logger=warehouse_module.__name__):
        warehouse.load_table(table, frame, primary_key=["order_id"])
    second = (warehouse.table_row_count(table), warehouse.table_checksum(table))

    assert first == second == (frame.height, first[1])
    assert "recreating" not in caplog.text  # the unchanged schema is recognised


@pytest.mark.integration
def test_a_second_load_replaces_the_first(warehouse: SnowflakeWarehouse) -> None:
    table = _unique_table("orders")
    warehouse.load_table(table, _sample_frame([1, 2, 3, 4]), primary_key=["order_id"])
    before = warehouse.table_checksum(table)

    replacement = _sample_frame([3, 4, 5])
    warehouse.load_table(table, replacement, primary_key=["order_id"])

    assert _query(warehouse, f"SELECT * FROM {table} ORDER BY order_id") == replacement.rows()
    assert warehouse.table_checksum(table) != before


@pytest.mark.integration
def test_changed_columns_recreate_the_target(warehouse: SnowflakeWarehouse) -> None:
    table = _unique_table("orders")
    warehouse.load_table(table, pl.DataFrame({"order_id": [1], "note": ["old"]}))

    reshaped = pl.DataFrame({"order_id": [2], "amount": [Decimal("1.50")]})
    warehouse.load_table(table, reshaped)

    assert _query(warehouse, f"SELECT * FROM {table}") == [(2, Decimal("1.50"))]


@pytest.mark.integration
def test_an_empty_frame_empties_the_target(warehouse: SnowflakeWarehouse) -> None:
    table = _unique_table("orders")
    warehouse.load_table(table, _sample_frame([1, 2]))

    result = warehouse.load_table(table, _sample_frame([]))

    assert result.rows_loaded == 0
    assert warehouse.table_row_count(table) == 0


@pytest.mark.integration
def test_a_failure_after_copy_keeps_the_previous_contents(
    warehouse: SnowflakeWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _unique_table("orders")
    warehouse.load_table(table, _sample_frame([1, 2, 3]), primary_key=["order_id"])
    before = warehouse.table_checksum(table)
    steps: list[str] = []
    original_run = StatementRunner.run

    def failing_insert(self: StatementRunner, step: str, sql: str, params: Any = None) -> list:
        steps.append(step)
        if step == "insert":
            raise WarehouseLoadError(f"{self.table}: step 'insert' failed: injected")
        return original_run(self, step, sql, params)

    monkeypatch.setattr(StatementRunner, "run", failing_insert)
    with pytest.raises(WarehouseLoadError, match=rf"{table.upper()}.*'insert'"):
        warehouse.load_table(table, _sample_frame([7, 8, 9, 10]), primary_key=["order_id"])
    monkeypatch.undo()

    assert {"copy", "delete"} <= set(steps)  # the delete ran, then was rolled back
    assert warehouse.table_checksum(table) == before
    assert warehouse.table_row_count(table) == 3
    leftovers = _query(
        warehouse,
        "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = ?",
        [f"{table.upper()}__STAGE"],
    )
    assert leftovers == []


@pytest.mark.integration
def test_fakesnow_server_persists_across_restarts_and_exits_cleanly(tmp_path: Path) -> None:
    db_path, log_path = tmp_path / "db", tmp_path / "server.log"
    frame = _sample_frame([1, 2, 3])
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        with running_fakesnow(db_path, log_path) as (process, port):
            if stop_signal == signal.SIGTERM:
                _local_warehouse(port).load_table("persisted", frame)
            else:
                assert _local_warehouse(port).table_row_count("persisted") == frame.height
            process.send_signal(stop_signal)
            assert process.wait(timeout=SERVER_STOP_TIMEOUT_S) == 0, log_path.read_text()
    assert (db_path / "RETAIL.db").is_file()


@pytest.mark.real_snowflake
def test_load_into_real_snowflake() -> None:
    account = os.environ.get("SNOWFLAKE_ACCOUNT")
    user = os.environ.get("SNOWFLAKE_USER")
    password = os.environ.get("SNOWFLAKE_PASSWORD")
    key_path = os.environ.get("SNOWFLAKE_PRIVATE_KEY_PATH")
    if not (account and user and (password or key_path)):
        pytest.skip(
            "set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD or "
            "SNOWFLAKE_PRIVATE_KEY_PATH to run against real Snowflake"
        )
    optional = {field: f"SNOWFLAKE_{field.upper()}" for field in ("warehouse", "role", "database")}
    optional |= {"schema_name": "SNOWFLAKE_SCHEMA"}
    optional |= {"private_key_passphrase": "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"}
    resource = SnowflakeWarehouse(
        account=account,
        user=user,
        password=password,
        private_key_path=key_path,
        **{field: os.environ[name] for field, name in optional.items() if os.environ.get(name)},
    )
    table = _unique_table("ZZ_WAREHOUSE_TEST")
    frame = _sample_frame(list(range(1, 8)))
    try:
        result = resource.load_table(table, frame, columns=SAMPLE_COLUMNS, primary_key=["order_id"])
        checksum = resource.table_checksum(table)
        resource.load_table(table, frame, columns=SAMPLE_COLUMNS, primary_key=["order_id"])

        assert result.rows_loaded == resource.table_row_count(table) == frame.height
        assert resource.table_checksum(table) == checksum
        assert _query(resource, f"SELECT * FROM {table} ORDER BY order_id") == frame.rows()
    finally:
        with resource.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {resource.qualified_name(table)}")
