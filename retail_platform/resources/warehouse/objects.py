"""Where the warehouse keeps things, and the catalog and checksum queries on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retail_platform.resources.warehouse.plan import STAGE_TABLE_SUFFIX
from retail_platform.resources.warehouse.runner import StatementRunner
from retail_platform.sql_text import (
    info_schema_type,
    quote_identifier,
    validate_identifier,
)

LOAD_STAGE = "LOAD_STAGE"
STATE_TABLE = "LOADED_PARTITIONS"
# Row hashes are folded: fakesnow sums as DOUBLE (exact below 2**53) and cannot return
# unsigned 64-bit values, which its HASH produces.
SUM_MODULUS, XOR_MODULUS = 1_000_003, 2**62


@dataclass(frozen=True)
class ObjectNames:
    """Where a load writes: the gold schema for targets, a control schema for the rest."""

    database: str
    schema: str
    control_schema: str

    def target(self, table: str) -> str:
        return quote_identifier(self.database, self.schema, table)

    def stage_table(self, table: str) -> str:
        """One staging table per target; the schema is in its name, as the control schema
        serves every schema of the database."""
        name = f"{self.schema}__{table}{STAGE_TABLE_SUFFIX}"
        return quote_identifier(self.database, self.control_schema, name)

    def state_key(self, table: str) -> str:
        """How the load state table names a target: SCHEMA.TABLE."""
        return f"{validate_identifier(self.schema)}.{validate_identifier(table)}"

    def stage(self) -> str:
        return quote_identifier(self.database, self.control_schema, LOAD_STAGE)

    def state_table(self) -> str:
        return quote_identifier(self.database, self.control_schema, STATE_TABLE)

    def information_schema(self) -> str:
        return f"{quote_identifier(self.database)}.INFORMATION_SCHEMA"


def existing_columns(runner: StatementRunner, names: ObjectNames, table: str) -> list[tuple]:
    """(NAME, type) of a table's columns in order; empty when the table does not exist."""
    rows = runner.run(
        "read target columns",
        "SELECT COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE "
        f"FROM {names.information_schema()}.COLUMNS "
        "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        [validate_identifier(names.schema), validate_identifier(table)],
    )
    return [(name, info_schema_type(data_type, p, s)) for name, data_type, p, s in rows]


def checksum(runner: StatementRunner, target: str, columns: Sequence[str]) -> tuple[int, str]:
    """Row count and an order-independent fingerprint of the listed columns' contents.

    HASH_AGG(*) would do on Snowflake but fakesnow lacks it (and HASH(*)), so the columns are
    listed; the same SQL runs on both, though hash values differ between the two.
    """
    row_hash = f"HASH({', '.join(map(quote_identifier, columns))})"
    [(count, xor, folded)] = runner.run(
        "checksum",
        f"SELECT COUNT(*), COALESCE(BITXOR_AGG({row_hash} % {XOR_MODULUS}), 0), "
        f"CAST(COALESCE(SUM({row_hash} % {SUM_MODULUS}), 0) AS NUMBER(38,0)) FROM {target}",
    )
    return int(count), f"{int(count)}:{int(xor)}:{int(folded)}"
