"""pandas peer: the gold tables as a plain Python ETL would build them.

Read Parquet into pandas, merge, group, write Parquet. Money stays exact as the Decimal objects
pandas reads Parquet decimals into; conversions and ratios are rounded half-up with `decimal`.
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from benchmarks.measure import measured
from benchmarks.peers.keys import KEY_SEPARATOR, stable_keys
from benchmarks.peers.silver_files import silver_parquet_files
from benchmarks.workspace import PhaseContext

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
DIM_CUSTOMER_COLUMNS = (
    "customer_key", "customer_id", "version", "valid_from", "valid_to", "is_current",
    "loyalty_tier", "country", "email_token", "birth_year", "city", "marketing_consent",
    "is_deleted", "registered_at", "first_order_date",
)  # fmt: skip
FACT_COLUMNS = (
    "order_line_key", "order_id", "line_number", "date_key", "customer_key", "product_key",
    "channel", "status", "quantity", "net_quantity", "unit_price", "discount", "gross_amount",
    "net_amount", "currency", "fx_rate", "gross_amount_reporting", "net_amount_reporting",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "payment_key", "payment_id", "order_id", "date_key", "method", "status", "amount",
    "currency", "fx_rate", "amount_reporting", "net_collected_reporting",
)  # fmt: skip
KPI_COLUMNS = (
    "date_key", "date", "revenue", "orders", "average_order_value", "new_customers",
    "returning_customers", "refund_rate", "payment_failure_rate",
)  # fmt: skip
PAYMENT_SIGN = {"captured": 1, "refunded": -1}


def _keys(pd: Any, texts: Any) -> Any:
    return pd.array(stable_keys(texts.tolist()), dtype="Int64")


def _date_keys(dates: Any) -> Any:
    dates = dates.astype("datetime64[s]")
    return (dates.dt.year * 10_000 + dates.dt.month * 100 + dates.dt.day).astype("int32")


def _ratio(numerator: Any, denominator: int, places: str) -> Decimal:
    if denominator <= 0:
        return Decimal(places)
    exact = Decimal(numerator) / Decimal(denominator)
    return exact.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _to_reporting(amounts: Any, rates: Any) -> list[Decimal | None]:
    return [
        None if rate is None or rate != rate else (amount * rate).quantize(CENT, ROUND_HALF_UP)
        for amount, rate in zip(amounts, rates, strict=True)
    ]


def _with_fx_rate(pd: Any, frame: Any, rates: Any, on: str) -> Any:
    """The rate of each row's currency valid on its `on` date (merge_asof, backward)."""
    left = frame.assign(_on=pd.to_datetime(frame[on])).sort_values("_on", kind="stable")
    right = rates.assign(_on=pd.to_datetime(rates["rate_date"])).sort_values("_on")
    right = right[["_on", "currency", "rate_to_reporting"]].rename(
        columns={"rate_to_reporting": "fx_rate"}
    )
    return pd.merge_asof(left, right, on="_on", by="currency", direction="backward").drop(
        columns="_on"
    )


def _dim_customer(pd: Any, customers: Any, orders: Any) -> Any:
    """A first build: every customer gets version 1, valid from registration, open-ended."""
    placed = orders[orders["status"].notna() & (orders["status"] != "cancelled")]
    first_orders = placed.groupby("customer_id")["order_date"].min().rename("first_order_date")
    dim = customers.join(first_orders, on="customer_id")
    dim["customer_key"] = _keys(pd, dim["customer_id"] + KEY_SEPARATOR + "1")
    dim["version"] = 1
    dim["valid_from"] = dim["created_at"]
    dim["valid_to"] = pd.Timestamp("9999-12-31", tz="UTC").as_unit("us")
    dim["is_current"] = True
    dim = dim.rename(columns={"created_at": "registered_at"})
    return dim[list(DIM_CUSTOMER_COLUMNS)].sort_values("customer_id")


def _dim_date(pd: Any, silver: dict[str, Any]) -> Any:
    dates = pd.concat(
        [
            pd.to_datetime(silver["orders"]["order_date"]),
            pd.to_datetime(silver["payments"]["payment_date"]),
            pd.to_datetime(silver["partner_sales"]["invoice_date"]),
        ]
    )
    days = pd.date_range(dates.min(), dates.max(), freq="D")
    iso = days.isocalendar()
    fiscal_month = (days.month + 10) % 12 + 1
    frame = pd.DataFrame({"date": days.date})
    frame.insert(0, "date_key", (days.year * 10_000 + days.month * 100 + days.day).astype("int32"))
    frame["year"], frame["quarter"], frame["month"] = days.year, days.quarter, days.month
    frame["month_name"], frame["year_month"] = days.month_name(), days.strftime("%Y-%m")
    frame["day_of_month"] = days.day
    frame["day_of_week"], frame["day_name"] = days.dayofweek + 1, days.day_name()
    frame["iso_year"], frame["iso_week"] = iso["year"].to_numpy(), iso["week"].to_numpy()
    frame["iso_year_week"] = [
        f"{year}-W{week:02d}" for year, week in zip(iso["year"], iso["week"], strict=True)
    ]
    frame["is_weekend"] = days.dayofweek >= 5
    frame["fiscal_year"] = days.year + (days.month >= 2)
    frame["fiscal_quarter"] = (fiscal_month - 1) // 3 + 1
    frame["fiscal_month"] = fiscal_month
    return frame


def _fact_order_lines(pd: Any, silver: dict[str, Any], dim_customer: Any) -> Any:
    orders = silver["orders"][["order_id", "customer_id", "channel", "currency", "created_at"]]
    fact = silver["order_lines"].merge(orders, on="order_id", how="left")
    # The customer version valid when the order was placed (version 1 before registration).
    versions = dim_customer[["customer_id", "customer_key", "version", "valid_from", "valid_to"]]
    fact = fact.merge(versions, on="customer_id", how="left")
    placed = fact["created_at"]
    within = (placed >= fact["valid_from"]) & (placed < fact["valid_to"])
    before_first = (fact["version"] == 1) & (placed < fact["valid_from"])
    fact = fact[fact["customer_key"].isna() | within | before_first]
    fact["order_line_key"] = _keys(
        pd, fact["order_id"] + KEY_SEPARATOR + fact["line_number"].astype(str)
    )
    fact["date_key"] = _date_keys(fact["order_date"])
    fact["product_key"] = _keys(pd, fact["product_id"])
    zero_net = fact["status"].isin(["cancelled", "returned"])
    fact["net_quantity"] = fact["quantity"].where(~zero_net, 0)
    fact["gross_amount"] = fact["line_amount"]
    fact["net_amount"] = fact["line_amount"].where(~zero_net, ZERO)
    fact = _with_fx_rate(pd, fact, silver["fx_rates"], "order_date")
    fact["gross_amount_reporting"] = _to_reporting(fact["gross_amount"], fact["fx_rate"])
    fact["net_amount_reporting"] = _to_reporting(fact["net_amount"], fact["fx_rate"])
    return fact[list(FACT_COLUMNS)].sort_values(["order_id", "line_number"])


def _fact_payments(pd: Any, silver: dict[str, Any]) -> Any:
    payments = silver["payments"].copy()
    payments["payment_key"] = _keys(pd, payments["payment_id"])
    payments["date_key"] = _date_keys(payments["payment_date"])
    payments = _with_fx_rate(pd, payments, silver["fx_rates"], "payment_date")
    payments["amount_reporting"] = _to_reporting(payments["amount"], payments["fx_rate"])
    payments["net_collected_reporting"] = [
        None if amount is None else amount * PAYMENT_SIGN.get(status, 0)
        for amount, status in zip(payments["amount_reporting"], payments["status"], strict=True)
    ]
    return payments[list(PAYMENT_COLUMNS)].sort_values("payment_id")


def _kpi_daily(pd: Any, fact: Any, payments: Any, dim_customer: Any, dim_date: Any) -> Any:
    placed = fact[fact["status"].notna() & (fact["status"] != "cancelled")]
    revenue = fact.groupby("date_key")["net_amount_reporting"].sum()
    orders = placed.groupby("date_key")["order_id"].nunique()
    customers = dim_customer[["customer_key", "customer_id"]]
    customer_days = placed[["date_key", "customer_key"]].merge(customers, on="customer_key")
    customer_days = customer_days[["customer_id", "date_key"]].drop_duplicates()
    first = customer_days.groupby("customer_id")["date_key"].min().rename("first_date_key")
    customer_days = customer_days.join(first, on="customer_id")
    by_day = customer_days["date_key"]
    new = (by_day == customer_days["first_date_key"]).groupby(by_day).sum()
    returning = (by_day > customer_days["first_date_key"]).groupby(by_day).sum()
    status = pd.crosstab(payments["date_key"], payments["status"])
    active = pd.concat([fact["date_key"], payments["date_key"]])
    calendar = dim_date[dim_date["date_key"].between(active.min(), active.max())]
    kpi = calendar[["date_key", "date"]].set_index("date_key")
    kpi["revenue"] = revenue.reindex(kpi.index).apply(lambda v: ZERO if pd.isna(v) else v)
    kpi["orders"] = orders.reindex(kpi.index, fill_value=0).astype("int64")
    kpi["new_customers"] = new.reindex(kpi.index, fill_value=0).astype("int64")
    kpi["returning_customers"] = returning.reindex(kpi.index, fill_value=0).astype("int64")
    for name in ("captured", "refunded", "failed"):
        column = status.get(name, 0)
        kpi[name] = pd.Series(column, index=status.index).reindex(kpi.index, fill_value=0)
    kpi["attempts"] = status.sum(axis=1).reindex(kpi.index, fill_value=0)
    kpi["average_order_value"] = [
        _ratio(r, n, "0.00") for r, n in zip(kpi["revenue"], kpi["orders"], strict=True)
    ]
    kpi["refund_rate"] = [
        _ratio(r, c + r, "0.0000") for r, c in zip(kpi["refunded"], kpi["captured"], strict=True)
    ]
    kpi["payment_failure_rate"] = [
        _ratio(f, a, "0.0000") for f, a in zip(kpi["failed"], kpi["attempts"], strict=True)
    ]
    return kpi.reset_index()[list(KPI_COLUMNS)]


def build_gold(context: PhaseContext) -> dict[str, Any]:
    import pandas as pd

    output = context.workspace.engine_output("pandas")
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with measured(context.sampler) as build:
        silver = {
            name: pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True)
            for name, paths in silver_parquet_files(context.workspace).items()
        }
        dim_customer = _dim_customer(pd, silver["customers"], silver["orders"])
        dim_product = silver["products"].drop(columns=["updated_at"])
        dim_product.insert(0, "product_key", _keys(pd, dim_product["product_id"]))
        dim_date = _dim_date(pd, silver)
        fact = _fact_order_lines(pd, silver, dim_customer)
        payments = _fact_payments(pd, silver)
        gold = {
            "dim_customer": dim_customer,
            "dim_product": dim_product,
            "dim_date": dim_date,
            "fact_order_lines": fact,
            "fact_payments": payments,
            "kpi_daily": _kpi_daily(pd, fact, payments, dim_customer, dim_date),
        }
        for name, frame in gold.items():
            frame.to_parquet(output / f"{name}.parquet", index=False)
            build.rows += len(frame)
    return {"build": build.to_json(), "format": "parquet", "path": str(output)}
