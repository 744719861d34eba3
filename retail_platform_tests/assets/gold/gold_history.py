"""Generated silver histories for the incremental gold property tests.

A small silver layer (orders with lines, payments, partner sales, products, partners, rates)
and a dim_customer, in a temporary lake, changed the way their writers change them: silver by
keyed merges that insert, update and delete (assets/silver/incremental.py), the rates by a
whole rewrite (the fx_rates asset), dim_customer by a whole rewrite or by customer slices.
`apply` performs one generated change; the state is kept in plain dicts so that any sequence
of changes can be replayed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from hypothesis import strategies as st

from retail_platform.contracts import gold, silver
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import LakeResource

FIRST_DAY = date(2026, 10, 1)
REGISTERED = datetime(2026, 9, 1, tzinfo=UTC)
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
DELETE = "_delete"
BOUNDARIES = [datetime(2026, 10, 6, 12, tzinfo=UTC), datetime(2026, 10, 16, 12, tzinfo=UTC)]

day = st.integers(0, 29)  # a month: a change touching a date by chance is rare
line = st.fixed_dictionaries(
    {"product": st.sampled_from(["P1", "P2", "P3", "P4"]), "quantity": st.integers(1, 3)}
)
order_change = st.fixed_dictionaries(
    {
        "kind": st.just("order"),
        "id": st.sampled_from(["O1", "O2", "O3", "O4"]),
        "delete": st.sampled_from([False, False, False, True]),
        "customer": st.sampled_from(["C1", "C2", "C3", "C9"]),
        "currency": st.sampled_from(["EUR", "USD"]),
        "day": day,
        "hour": st.sampled_from([1, 13]),
        "status": st.sampled_from(["placed", "paid", "cancelled", "returned"]),
        "lines": st.lists(line, min_size=1, max_size=2),
    }
)
payment_change = st.fixed_dictionaries(
    {
        "kind": st.just("payment"),
        "id": st.sampled_from(["A1", "A2", "A3"]),
        "delete": st.sampled_from([False, False, True]),
        "currency": st.sampled_from(["EUR", "USD"]),
        "day": day,
        "status": st.sampled_from(["captured", "failed", "refunded"]),
        "cents": st.integers(100, 5000),
    }
)
sale_change = st.fixed_dictionaries(
    {
        "kind": st.just("sale"),
        "partner": st.sampled_from(["R1", "R2", "R3"]),
        "invoice": st.sampled_from(["I1", "I2"]),
        "stock": st.sampled_from(["S1", "S2", "S3", "S4", "S1b"]),
        "delete": st.sampled_from([False, False, True]),
        "currency": st.sampled_from(["EUR", "USD"]),
        "day": day,
        "quantity": st.integers(-2, 3).filter(lambda q: q != 0),
    }
)
product_change = st.fixed_dictionaries(
    {
        "kind": st.just("product"),
        "id": st.sampled_from(["P1", "P2", "P3", "P4"]),
        "delete": st.sampled_from([False, True]),
        "alternate_sku": st.booleans(),
        "price": st.sampled_from(["10.00", "12.50"]),
    }
)
partner_change = st.fixed_dictionaries(
    {
        "kind": st.just("partner"),
        "id": st.sampled_from(["R1", "R2", "R3"]),
        "delete": st.booleans(),
    }
)
rate_change = st.fixed_dictionaries(
    {
        "kind": st.just("rate"),
        "day": day,
        "rate": st.sampled_from([None, "0.9000000000", "0.8500000000"]),
    }
)
customer_change = st.fixed_dictionaries(
    {
        "kind": st.just("customer"),
        "id": st.sampled_from(["C1", "C2", "C3"]),
        "boundaries": st.none() | st.lists(st.sampled_from(BOUNDARIES), unique=True).map(sorted),
        "as_slice": st.booleans(),
    }
)
change = st.one_of(
    order_change, payment_change, sale_change, product_change, partner_change, rate_change,
    customer_change,
)  # fmt: skip
step = st.fixed_dictionaries(
    {"changes": st.lists(change, min_size=1, max_size=4), "gold_runs_after": st.booleans()}
)


def _at(offset: int, hour: int = 9) -> datetime:
    return datetime.combine(FIRST_DAY + timedelta(days=offset), datetime.min.time(), UTC) + (
        timedelta(hours=hour)
    )


def _frame(rows: list[dict[str, Any]], contract: TableContract, flag: bool) -> pl.DataFrame:
    schema = dict(contract.polars_schema) | ({DELETE: pl.Boolean} if flag else {})
    return pl.DataFrame(rows, schema=schema, orient="row")


class SilverHistory:
    """The generated silver layer and dim_customer, written to `lake`."""

    def __init__(self, lake: LakeResource) -> None:
        self.lake = lake
        self.customers: dict[str, list[datetime]] = {"C1": [], "C2": [BOUNDARIES[0]], "C3": []}
        self.rates: dict[int, str] = {0: "0.9000000000", 10: "0.8000000000", 20: "0.8500000000"}
        self.lines_of: dict[str, list[int]] = {}
        seed = [
            {"kind": "product", "id": p, "delete": False, "alternate_sku": False,
             "price": "10.00"} for p in ("P1", "P2", "P3")
        ] + [{"kind": "partner", "id": r, "delete": False} for r in ("R1", "R2")]  # fmt: skip
        seed += [
            {"kind": "order", "id": order_id, "delete": False, "customer": customer,
             "currency": "USD", "day": offset, "hour": 13, "status": "paid",
             "lines": [{"product": "P1", "quantity": 2}]}
            for order_id, customer, offset in (("O1", "C1", 1), ("O2", "C2", 8),
                                               ("O3", "C3", 18), ("O4", "C1", 25))
        ] + [
            {"kind": "payment", "id": "A1", "delete": False, "currency": "USD", "day": 12,
             "status": "captured", "cents": 2000},
            {"kind": "sale", "partner": "R1", "invoice": "I1", "stock": "S2", "delete": False,
             "currency": "USD", "day": 22, "quantity": 1},
        ]  # fmt: skip
        for item in seed:
            self.apply(item)
        self._write_rates()
        self._write_customers(None)

    def apply(self, item: dict[str, Any]) -> None:
        getattr(self, f"_{item['kind']}")(item)

    def _merge(self, contract: TableContract, rows: list[dict[str, Any]]) -> None:
        frame = _frame(rows, contract, flag=True)
        self.lake.merge_rows("silver", contract.name, frame, list(contract.primary_key), DELETE)

    def _order(self, item: dict[str, Any]) -> None:
        order_id, delete = item["id"], item["delete"]
        if delete and order_id not in self.lines_of:
            return
        created = _at(item["day"], item["hour"])
        lines = [] if delete else item["lines"]
        line_rows = []
        for number, spec in enumerate(lines, start=1):
            amount = Decimal("10.00") * spec["quantity"]
            line_rows.append({
                "order_id": order_id, "line_number": number, "product_id": spec["product"],
                "quantity": spec["quantity"], "unit_price": Decimal("10.0000"),
                "discount": Decimal("0.00"), "line_amount": amount, "status": item["status"],
                "order_date": created.date(), "updated_at": created, DELETE: False,
            })  # fmt: skip
        gone = [n for n in self.lines_of.get(order_id, []) if n > len(lines)]
        for number in gone:
            line_rows.append({"order_id": order_id, "line_number": number, DELETE: True})
        total = sum((row["line_amount"] for row in line_rows if not row[DELETE]), Decimal(0))
        order = {
            "order_id": order_id, "customer_id": item["customer"], "status": item["status"],
            "currency": item["currency"], "channel": "web", "created_at": created,
            "updated_at": created, "order_date": created.date(), "line_count": len(lines),
            "order_total": total, DELETE: delete,
        }  # fmt: skip
        self._merge(silver.ORDERS, [order])
        if line_rows:
            self._merge(silver.ORDER_LINES, line_rows)
        if delete:
            del self.lines_of[order_id]
        else:
            self.lines_of[order_id] = list(range(1, len(lines) + 1))

    def _payment(self, item: dict[str, Any]) -> None:
        created = _at(item["day"])
        self._merge(silver.PAYMENTS, [{
            "payment_id": item["id"], "order_id": "O1", "amount": Decimal(item["cents"]) / 100,
            "currency": item["currency"], "method": "card", "status": item["status"],
            "created_at": created, "payment_date": created.date(), DELETE: item["delete"],
        }])  # fmt: skip

    def _sale(self, item: dict[str, Any]) -> None:
        invoiced = _at(item["day"])
        quantity = item["quantity"]
        self._merge(silver.PARTNER_SALES, [{
            "partner_id": item["partner"], "invoice_no": item["invoice"],
            "stock_code": item["stock"], "description": "thing", "quantity": quantity,
            "unit_price": Decimal("2.5000"), "line_amount": Decimal("2.50") * quantity,
            "currency": item["currency"], "invoice_at": invoiced,
            "invoice_date": invoiced.date(), "partner_customer_id": None, "country": "GB",
            "is_cancellation": quantity < 0, "ingested_at": invoiced, DELETE: item["delete"],
        }])  # fmt: skip

    def _product(self, item: dict[str, Any]) -> None:
        sku = f"S{item['id'][1:]}" + ("b" if item["alternate_sku"] else "")
        self._merge(silver.PRODUCTS, [{
            "product_id": item["id"], "sku": sku, "name": "thing", "category": "c",
            "brand": "b", "unit_price": Decimal(item["price"]), "currency": "EUR",
            "active": True, "updated_at": _at(0), DELETE: item["delete"],
        }])  # fmt: skip

    def _partner(self, item: dict[str, Any]) -> None:
        self._merge(silver.PARTNERS, [{
            "partner_id": item["id"], "name": "partner", "country": "GB",
            "commission_rate": Decimal("0.1000"), "contact_email": None,
            "onboarded_at": FIRST_DAY, "ingested_at": _at(0), DELETE: item["delete"],
        }])  # fmt: skip

    def _rate(self, item: dict[str, Any]) -> None:
        if item["rate"] is None:
            self.rates.pop(item["day"], None)
        else:
            self.rates[item["day"]] = item["rate"]
        self._write_rates()

    def _write_rates(self) -> None:
        rows = [
            {"currency": "USD", "rate_date": FIRST_DAY + timedelta(days=offset),
             "rate_to_reporting": Decimal(rate), "reporting_currency": "EUR"}
            for offset, rate in sorted(self.rates.items())
        ]  # fmt: skip
        self.lake.replace_table("silver", "fx_rates", _frame(rows, silver.FX_RATES, flag=False))

    def _customer(self, item: dict[str, Any]) -> None:
        customer = item["id"]
        if item["boundaries"] is None:
            self.customers.pop(customer, None)
        else:
            self.customers[customer] = item["boundaries"]
        self._write_customers(customer if item["as_slice"] else None)

    def dim_customer(self) -> pl.DataFrame:
        rows = []
        for customer, boundaries in sorted(self.customers.items()):
            starts = [REGISTERED, *boundaries]
            ends = [*boundaries, OPEN_END]
            for version, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
                rows.append({
                    "customer_key": int(customer[1:]) * 100 + version, "customer_id": customer,
                    "version": version, "valid_from": start, "valid_to": end,
                    "is_current": end == OPEN_END, "is_deleted": False,
                    "registered_at": REGISTERED,
                })  # fmt: skip
        return pl.DataFrame(rows, schema=gold.DIM_CUSTOMER.polars_schema)

    def _write_customers(self, only: str | None) -> None:
        frame = self.dim_customer()
        if only is None or not self.lake.exists("gold", "dim_customer"):
            self.lake.replace_table("gold", "dim_customer", frame)
        else:
            mine = frame.filter(pl.col("customer_id") == only)
            self.lake.replace_values("gold", "dim_customer", mine, "customer_id", [only])
