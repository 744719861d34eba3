"""An in-memory history of gold order and payment facts with its change data feed, for the
incremental mart tests: each commit changes the current rows and records the CDF rows a Delta
commit of the same change writes (pre-images before post-images in one version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from hypothesis import strategies as st

from retail_platform.contracts import gold
from retail_platform.transforms.gold.customer_days import STATE_SCHEMA
from retail_platform.transforms.gold.dimensions import build_dim_date

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


def customer_state(*rows: tuple[str, int, int, str]) -> pl.LazyFrame:
    """A customer state written by hand: (customer_id, date_key, counted lines, revenue)."""
    typed = [(who, day, count, Decimal(revenue)) for who, day, count, revenue in rows]
    return pl.LazyFrame(typed, schema=STATE_SCHEMA, orient="row")


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


# Around two month ends, so cohorts and the last month move.
DAYS = [20260929, 20260930, 20261001, 20261002, 20261031, 20261101, 20261103]
CALENDAR = build_dim_date(date(2026, 9, 29), date(2026, 11, 3))

lines = st.builds(
    line,
    key=st.integers(1, 6),
    order_id=st.sampled_from(["O1", "O2", "O3", "O4"]),
    date_key=st.sampled_from(DAYS),
    customer_key=st.sampled_from([11, 12, 21, 22, 31, -1]),
    status=st.sampled_from(["paid", "paid", "cancelled", "returned"]),
    net=st.sampled_from(["0.00", "5.00", "7.25"]),
)
commits = st.one_of(
    st.tuples(st.just("upsert"), lines),
    st.tuples(st.just("delete"), st.integers(1, 6)),
    st.tuples(st.just("overwrite_day"), st.sampled_from(DAYS), st.lists(lines, max_size=3)),
    st.tuples(
        st.just("pay"),
        st.builds(
            payment,
            key=st.integers(1, 4),
            date_key=st.sampled_from(DAYS),
            status=st.sampled_from(["captured", "refunded", "failed"]),
        ),
    ),
    st.tuples(st.just("unpay"), st.integers(1, 4)),
)


def apply_commit(facts: Table, payments: Table, change: tuple[Any, ...], version: int) -> None:
    kind = change[0]
    if kind == "upsert":
        facts.upsert(change[1], version)
    elif kind == "delete":
        facts.delete(change[1], version)
    elif kind == "overwrite_day":
        day = change[1]
        new = {row["order_line_key"]: {**row, "date_key": day} for row in change[2]}
        # The slice holds the day and the old days of lines moving to it (gold replaces both).
        days = {day} | {facts.rows[key]["date_key"] for key in new if key in facts.rows}
        doomed = {key for key, row in facts.rows.items() if row["date_key"] in days}
        facts.replace(doomed, list(new.values()), version)
    elif kind == "pay":
        payments.upsert(change[1], version)
    else:
        payments.delete(change[1], version)
