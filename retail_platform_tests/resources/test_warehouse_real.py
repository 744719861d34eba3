"""The same loader and governance against a real Snowflake account.

Runs when SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD or
SNOWFLAKE_PRIVATE_KEY_PATH are set (optional: SNOWFLAKE_WAREHOUSE, SNOWFLAKE_ROLE,
SNOWFLAKE_DATABASE, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE); skipped with that reason otherwise.
Everything is created in scratch schemas and with scratch role names, and dropped afterwards.
The governance test needs a role that may create roles and masking policies (Enterprise
edition); set SNOWFLAKE_GOVERNANCE_ROLE to run it as a different role than the loader.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import TableContract
from retail_platform.governance.plan import governance_plan
from retail_platform.resources.warehouse import (
    SnowflakeGovernance,
    SnowflakeWarehouse,
    WarehouseColumn,
    quote_identifier,
)
from retail_platform_tests.resources.test_warehouse import sample_frame

pytestmark = pytest.mark.real_snowflake

SKIP_REASON = (
    "set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH "
    "to run against real Snowflake"
)
OPTIONAL = {
    "warehouse": "SNOWFLAKE_WAREHOUSE",
    "role": "SNOWFLAKE_ROLE",
    "database": "SNOWFLAKE_DATABASE",
    "private_key_passphrase": "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
}


@pytest.fixture(scope="module")
def real_warehouse() -> Iterator[SnowflakeWarehouse]:
    account, user = os.environ.get("SNOWFLAKE_ACCOUNT"), os.environ.get("SNOWFLAKE_USER")
    password = os.environ.get("SNOWFLAKE_PASSWORD")
    key_path = os.environ.get("SNOWFLAKE_PRIVATE_KEY_PATH")
    if not (account and user and (password or key_path)):
        pytest.skip(SKIP_REASON)
    scratch = f"ZZ_RETAIL_TEST_{uuid.uuid4().hex[:8].upper()}"
    resource = SnowflakeWarehouse(
        account=account,
        user=user,
        password=password,
        private_key_path=key_path,
        schema_name=scratch,
        control_schema=f"{scratch}_CONTROL",
        **{field: os.environ[name] for field, name in OPTIONAL.items() if os.environ.get(name)},
    )
    database = quote_identifier(resource.database)
    with resource.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {database}.{quote_identifier(scratch)}")
    try:
        yield resource
    finally:
        with resource.connect() as connection, connection.cursor() as cursor:
            for schema in (scratch, f"{scratch}_CONTROL"):
                cursor.execute(f"DROP SCHEMA IF EXISTS {database}.{quote_identifier(schema)}")


def _read(resource: SnowflakeWarehouse, sql: str) -> list[tuple]:
    with resource.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_full_loads_are_atomic_and_idempotent(real_warehouse: SnowflakeWarehouse) -> None:
    frame = sample_frame(list(range(1, 8)))
    columns = [WarehouseColumn("order_id", "Order identifier")]

    first = real_warehouse.load_table("ORDERS", frame, columns=columns, primary_key=["order_id"])
    second = real_warehouse.load_table("ORDERS", frame, columns=columns, primary_key=["order_id"])

    assert first.rows_loaded == first.row_count == frame.height
    assert second.unchanged and second.checksum == first.checksum
    assert real_warehouse.table_checksum("ORDERS") == first.checksum
    names = ", ".join(frame.columns)
    rows = _read(real_warehouse, f"SELECT {names} FROM ORDERS ORDER BY ORDER_ID")
    assert rows == frame.rows()


def test_an_incremental_load_touches_only_the_changed_partition(
    real_warehouse: SnowflakeWarehouse,
) -> None:
    frame = sample_frame(list(range(1, 10)))
    load = {"primary_key": ["order_id"], "partition_column": "order_date"}
    real_warehouse.load_table("ORDER_LINES", frame, load_id="v1", **load)
    changed_day = date(2026, 10, 3)  # order 2 only
    version_2 = frame.with_columns(
        quantity=pl.when(pl.col("order_date") == changed_day)
        .then(pl.col("quantity") + 100)
        .otherwise(pl.col("quantity"))
    )

    result = real_warehouse.load_table("ORDER_LINES", version_2, load_id="v2", **load)

    assert result.partitions_loaded == ("2026-10-03",)
    assert (result.rows_updated, result.rows_inserted, result.rows_deleted) == (1, 0, 0)
    touched = _read(real_warehouse, "SELECT ORDER_ID FROM ORDER_LINES WHERE _LOAD_ID = 'v2'")
    assert touched == [(2,)]


def _one_row(contract: TableContract) -> pl.DataFrame:
    """A valid single row for any contract, so masking can be observed on real values."""
    values = {
        pl.String: "x",
        pl.Boolean: False,
        pl.Date: date(2026, 10, 1),
    }

    def value(dtype: pl.DataType) -> object:
        if dtype.is_integer():
            return 1
        if isinstance(dtype, pl.Decimal):
            return Decimal(0)
        if isinstance(dtype, pl.Datetime):
            return datetime(2026, 10, 1)
        return values[dtype.base_type()]

    return pl.DataFrame(
        [tuple(value(c.dtype) for c in contract.columns)],
        schema=contract.polars_schema,
        orient="row",
    )


def test_governance_applies_twice_and_masks_pii(real_warehouse: SnowflakeWarehouse) -> None:
    for contract in GOLD_TABLES:
        real_warehouse.load_table(
            contract.name, _one_row(contract), primary_key=contract.primary_key
        )
    suffix = real_warehouse.schema_name
    governance = SnowflakeGovernance(
        warehouse=real_warehouse,
        bi_warehouse=real_warehouse.warehouse or "COMPUTE_WH",
        reader_role=f"{suffix}_BI_READER",
        pii_admin_role=f"{suffix}_PII_ADMIN",
        policy_schema=f"{suffix}_GOVERNANCE",
        admin_role=os.environ.get("SNOWFLAKE_GOVERNANCE_ROLE"),
    )
    plan = governance_plan(GOLD_TABLES, governance.config())
    try:
        first = governance.enforce(plan.statements, [])
        second = governance.enforce(plan.statements, [])

        assert first.applied == len(plan.statements) and first.skipped == 0
        assert second.skipped == plan.count("constraint")  # declared once, found the 2nd time
        assert second.applied + second.skipped == len(plan.statements)
        # The loader's role is not the PII admin: it reads the PII columns masked.
        assert _read(real_warehouse, "SELECT EMAIL_TOKEN, BIRTH_YEAR FROM DIM_CUSTOMER") == [
            (None, None)
        ]
        assert _read(real_warehouse, "SELECT CITY FROM DIM_CUSTOMER") == [("x",)]
    finally:
        with real_warehouse.connect(role=governance.admin_role) as connection:
            cursor = connection.cursor()
            for contract in GOLD_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {quote_identifier(contract.name)}")
            database = quote_identifier(real_warehouse.database)
            schema = quote_identifier(governance.policy_schema)
            cursor.execute(f"DROP SCHEMA IF EXISTS {database}.{schema}")
            for role in (governance.pii_admin_role, governance.reader_role):
                cursor.execute(f"DROP ROLE IF EXISTS {quote_identifier(role)}")
