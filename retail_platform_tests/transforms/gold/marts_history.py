"""An in-memory history of gold order and payment facts with its change data feed, for the
incremental mart tests: each commit changes the current rows and records the CDF rows a Delta
commit of the same change writes (pre-images before post-images in one version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from retail_platform.contracts import gold

LINE_SCHEMA = gold.FACT_ORDER_LINES.polars_schema
PAYMENT_SCHEMA = gold.FACT_PAYMENTS.polars_schema
# customer_key -> customer_id: two versions of C1 and C2, one of C3, and the unknown customer.
CUSTOMERS = pl.LazyFrame(
    {
        "customer_key": [11, 12, 21, 22, 31, -1],
        "customer_id": ["C1", "C1", "C2", "C2", "C3", "<unknown>"],
    },
    schema={"customer_key": pl.Int64, "customer_id": pl.String},
)


def line(
    key: int, order_id: str, date_key: int, customer_key: int, status: str, net: str
) -> dict[str, Any]:
    return {
        **dict.fromkeys(LINE_SCHEMA.names()),
        "order_line_key": key,
        "order_id": order_id,
        "line_number": 1,
        "date_key": date_key,
        "customer_key": customer_key,
        "status": status,
        "net_amount_reporting": Decimal(net),
    }


def payment(key: int, date_key: int, status: str) -> dict[str, Any]:
    return {
        **dict.fromkeys(PAYMENT_SCHEMA.names()),
        "payment_key": key,
        "date_key": date_key,
        "status": status,
    }


@dataclass
class Table:
    """Current rows by primary key and the CDF rows of every commit."""

    key: str
    schema: pl.Schema
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def _event(self, row: dict[str, Any], kind: str, version: int) -> None:
        self.changes.append({**row, "_change_type": kind, "_commit_version": version})

    def upsert(self, row: dict[str, Any], version: int) -> None:
        old = self.rows.get(row[self.key])
        if old == row:
            return  # Delta writes no change for an identical row
        if old is None:
            self._event(row, "insert", version)
        else:
            self._event(old, "update_preimage", version)
            self._event(row, "update_postimage", version)
        self.rows[row[self.key]] = row

    def delete(self, key: int, version: int) -> None:
        old = self.rows.pop(key, None)
        if old is not None:
            self._event(old, "delete", version)

    def replace(self, doomed: set[int], rows: list[dict[str, Any]], version: int) -> None:
        """An overwrite with a predicate: every doomed row deleted, the new rows inserted."""
        for key in sorted(doomed):
            self.delete(key, version)
        for row in rows:
            self.rows[row[self.key]] = row
            self._event(row, "insert", version)

    def frame(self) -> pl.LazyFrame:
        return pl.LazyFrame(list(self.rows.values()), schema=self.schema)

    def changes_since(self, version: int) -> pl.LazyFrame:
        schema = {**self.schema, "_change_type": pl.String, "_commit_version": pl.Int64}
        rows = [row for row in self.changes if row["_commit_version"] > version]
        return pl.LazyFrame(rows, schema=schema)


def lines_table() -> Table:
    return Table("order_line_key", LINE_SCHEMA)


def payments_table() -> Table:
    return Table("payment_key", PAYMENT_SCHEMA)
