"""SnowflakeWarehouse input validation and type mapping, all before any connection opens.

A malicious table, column, schema or key name is rejected with an error that quotes it; the
``offline_warehouse`` fixture fails the test if the loader tries to connect first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from retail_platform.resources.warehouse import (
    InvalidIdentifierError,
    PrimaryKeyViolationError,
    SnowflakeWarehouse,
    UnsupportedColumnTypeError,
    WarehouseColumn,
    snowflake_type,
)
from retail_platform_tests.resources.test_warehouse import refusing_warehouse


@pytest.fixture
def offline_warehouse(monkeypatch: pytest.MonkeyPatch) -> SnowflakeWarehouse:
    return refusing_warehouse(monkeypatch)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (pl.Int8, "NUMBER(3,0)"),
        (pl.Int32, "NUMBER(10,0)"),
        (pl.Int64, "NUMBER(19,0)"),
        (pl.UInt32, "NUMBER(10,0)"),
        (pl.UInt64, "NUMBER(20,0)"),
        (pl.Int128, "NUMBER(38,0)"),
        (pl.Decimal(18, 2), "NUMBER(18,2)"),
        (pl.Decimal(9, 4), "NUMBER(9,4)"),
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


MALICIOUS_TABLES = ["orders; DROP TABLE x", 'x"y', "1orders", "o" * 256, "orders --", "a.b"]
MALICIOUS_COLUMNS = ['a"b', "a b", "a'--", "x; DROP TABLE y", "", "é"]


@pytest.mark.parametrize("table", MALICIOUS_TABLES)
def test_malicious_table_names_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse, table: str
) -> None:
    with pytest.raises(InvalidIdentifierError, match=re.escape(repr(table))):
        offline_warehouse.load_table(table, pl.DataFrame({"a": [1]}))


@pytest.mark.parametrize("column", MALICIOUS_COLUMNS)
def test_malicious_column_names_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse, column: str
) -> None:
    plain = pl.DataFrame({"a": [1]})
    attempts: list[tuple[pl.DataFrame, dict[str, Any]]] = [
        (pl.DataFrame({column: [1]}), {}),
        (plain, {"primary_key": [column]}),
        (plain, {"columns": [WarehouseColumn(column, "described")]}),
        (plain, {"primary_key": ["a"], "partition_column": column}),
    ]
    for frame, kwargs in attempts:
        with pytest.raises(InvalidIdentifierError, match=re.escape(repr(column))):
            offline_warehouse.load_table("orders", frame, **kwargs)


def test_malicious_database_or_schema_is_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse,
) -> None:
    for field in ("database", "schema_name", "control_schema"):
        resource = SnowflakeWarehouse(
            account="unused", user="unused", **{field: "GOLD; DROP SCHEMA GOLD"}
        )
        with pytest.raises(InvalidIdentifierError, match="GOLD; DROP SCHEMA GOLD"):
            resource.load_table("orders", pl.DataFrame({"a": [1]}))


def test_loader_column_names_are_reserved(offline_warehouse: SnowflakeWarehouse) -> None:
    frame = pl.DataFrame({"a": [1], "_load_id": ["mine"]})
    with pytest.raises(InvalidIdentifierError, match="_LOAD_ID"):
        offline_warehouse.load_table("orders", frame)


def test_duplicate_primary_keys_are_rejected_before_connecting(
    offline_warehouse: SnowflakeWarehouse,
) -> None:
    frame = pl.DataFrame({"order_id": [1, 1], "amount": [1.0, 2.0]})
    with pytest.raises(PrimaryKeyViolationError, match="ORDERS"):
        offline_warehouse.load_table("orders", frame, primary_key=["order_id"])


class _RecordedConnection:
    """What snowflake.connector.connect returns here: records commit and close, runs nothing."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments
        self.events: list[str] = []

    def commit(self) -> None:
        self.events.append("commit")

    def close(self) -> None:
        self.events.append("close")


def recording_connector(monkeypatch: pytest.MonkeyPatch) -> list[_RecordedConnection]:
    """Replaces the connector's connect: each call's keyword arguments are kept, in order."""
    opened: list[_RecordedConnection] = []

    def connect(**arguments: Any) -> _RecordedConnection:
        opened.append(_RecordedConnection(arguments))
        return opened[-1]

    monkeypatch.setattr("snowflake.connector.connect", connect)
    return opened


def test_key_pair_auth_passes_the_decrypted_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = serialization.BestAvailableEncryption(b"phrase")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    (key_path := tmp_path / "rsa_key.p8").write_bytes(pem)
    credentials = {"private_key_path": str(key_path), "private_key_passphrase": "phrase"}
    # A password set as well: the key pair wins (SnowflakeResource refuses both at once).
    resource = SnowflakeWarehouse(
        account="acme", user="LOADER", warehouse="LOAD_WH", password="ignored", **credentials
    )
    opened = recording_connector(monkeypatch)

    with resource.connect():
        pass
    with resource.connect(role="ADMIN"):
        pass

    arguments = opened[0].arguments
    # dagster-snowflake's SnowflakeResource opened it: it tags every connection so.
    assert arguments["application"] == "DagsterLabs_Dagster"
    loaded = serialization.load_der_private_key(arguments["private_key"], password=None)
    assert loaded.private_numbers() == key.private_numbers()
    assert "password" not in arguments and "host" not in arguments
    assert arguments["warehouse"] == "LOAD_WH" and arguments["paramstyle"] == "qmark"
    assert (arguments["account"], arguments["user"]) == ("acme", "LOADER")
    assert (arguments["database"], arguments["schema"]) == ("RETAIL", "GOLD")
    assert "role" not in arguments and opened[1].arguments["role"] == "ADMIN"
    assert [connection.events for connection in opened] == [["commit", "close"]] * 2


def test_a_local_stand_in_is_reached_through_additional_connection_args(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resource = SnowflakeWarehouse(
        account="fakesnow",
        user="fake",
        password="snow",
        host="127.0.0.1",
        port=8123,
        protocol="http",
        session_parameters={"QUERY_TAG": "retail"},
    )
    opened = recording_connector(monkeypatch)

    with resource.connect():
        pass

    arguments = opened[0].arguments
    assert (arguments["host"], arguments["port"], arguments["protocol"]) == (
        "127.0.0.1",
        8123,
        "http",
    )
    assert arguments["password"] == "snow" and "private_key" not in arguments
    assert arguments["session_parameters"] == {
        "QUERY_TAG": "retail",
        "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
    }
    assert arguments["network_timeout"] == 15  # a stand-in's HTTP 500 is not retried for ever


def test_a_failed_block_closes_its_connection_without_committing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resource = SnowflakeWarehouse(account="acme", user="LOADER", password="secret")
    opened = recording_connector(monkeypatch)

    with pytest.raises(RuntimeError, match="mid-load"), resource.connect():
        raise RuntimeError("mid-load")

    assert opened[0].events == ["close"]
