"""pandas peer: the gold tables as a plain Python ETL would build them.

Read Parquet into pandas, merge, group, write Parquet. Money stays exact as the Decimal objects
pandas reads Parquet decimals into; ratios are rounded half-up with `decimal`.
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from retail_platform.bench.measure import measured
from retail_platform.bench.peers.keys import KEY_SEPARATOR, stable_keys
from retail_platform.bench.peers.silver_files import silver_parquet_files
from retail_platform.bench.workspace import PhaseContext

ZERO = Decimal("0.00")
DIM_CUSTOMER_COLUMNS = (
    "customer_key", "customer_id", "email_token", "birth_year", "city", "country",
    "loyalty_tier", "marketing_consent", "is_deleted", "registered_at", "first_order_date",
)  # fmt: skip
FACT_COLUMNS = (
    "order_line_key", "order_id", "line_number", "date_key", "customer_key", "product_key",
    "channel", "status", "quantity", "unit_price", "discount", "gross_amount", "net_amount",
    "currency",
)  # fmt: skip


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


def _dim_date(pd: Any, orders: Any) -> Any:
    days = pd.date_range(orders["order_date"].min(), orders["order_date"].max(), freq="D")
    iso = days.isocalendar()
    frame = pd.DataFrame({"date": days.date})
    frame.insert(0, "date_key", (days.year * 10_000 + days.month * 100 + days.day).astype("int32"))
    frame["year"], frame["quarter"], frame["month"] = days.year, days.quarter, days.month
    frame["month_name"], frame["day_of_month"] = days.month_name(), days.day
    frame["day_of_week"], frame["day_name"] = days.dayofweek + 1, days.day_name()
    frame["iso_year"], frame["iso_week"] = iso["year"].to_numpy(), iso["week"].to_numpy()
    frame["is_weekend"] = days.dayofweek >= 5
    return frame


def _kpi_daily(pd: Any, fact: Any, payments: Any, dim_date: Any) -> Any:
    placed = fact[fact["status"].notna() & (fact["status"] != "cancelled")]
    revenue = fact.groupby("date_key")["net_amount"].sum()
    orders = placed.groupby("date_key")["order_id"].nunique()
    customer_days = placed[["date_key", "customer_key"]].drop_duplicates().dropna()
    first = customer_days.groupby("customer_key")["date_key"].min().rename("first_date_key")
    customer_days = customer_days.join(first, on="customer_key")
    new = (customer_days["date_key"] == customer_days["first_date_key"]).groupby(
        customer_days["date_key"]
    )
    returning = (customer_days["date_key"] > customer_days["first_date_key"]).groupby(
        customer_days["date_key"]
    )
    attempts = payments.assign(date_key=_date_keys(payments["payment_date"]))
    status = pd.crosstab(attempts["date_key"], attempts["status"])
    kpi = dim_date[["date_key", "date"]].set_index("date_key")
    kpi["revenue"] = revenue.reindex(kpi.index).apply(lambda v: ZERO if pd.isna(v) else v)
    kpi["orders"] = orders.reindex(kpi.index, fill_value=0).astype("int64")
    kpi["new_customers"] = new.sum().reindex(kpi.index, fill_value=0).astype("int64")
    kpi["returning_customers"] = returning.sum().reindex(kpi.index, fill_value=0).astype("int64")
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
    columns = ["date", "revenue", "orders", "average_order_value", "new_customers"]
    columns.extend(["returning_customers", "refund_rate", "payment_failure_rate"])
    return kpi[columns].reset_index()


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
        customers, orders, lines = silver["customers"], silver["orders"], silver["order_lines"]
        placed = orders[orders["status"].notna() & (orders["status"] != "cancelled")]
        first_orders = placed.groupby("customer_id")["order_date"].min().rename("first_order_date")
        dim_customer = customers.join(first_orders, on="customer_id")
        dim_customer.insert(0, "customer_key", _keys(pd, dim_customer["customer_id"]))
        dim_customer = dim_customer.rename(columns={"created_at": "registered_at"})[
            list(DIM_CUSTOMER_COLUMNS)
        ]
        dim_product = silver["products"].drop(columns=["updated_at"])
        dim_product.insert(0, "product_key", _keys(pd, dim_product["product_id"]))
        dim_date = _dim_date(pd, orders)
        fact = lines.merge(
            orders[["order_id", "customer_id", "channel", "currency"]], on="order_id", how="left"
        )
        line_text = fact["order_id"] + KEY_SEPARATOR + fact["line_number"].astype(str)
        fact.insert(0, "order_line_key", _keys(pd, line_text))
        fact["date_key"] = _date_keys(fact["order_date"])
        fact["customer_key"] = _keys(pd, fact["customer_id"])
        fact["product_key"] = _keys(pd, fact["product_id"])
        fact["gross_amount"] = fact["line_amount"]
        zero_net = fact["status"].isin(["cancelled", "returned"])
        fact["net_amount"] = fact["line_amount"].where(~zero_net, ZERO)
        fact = fact[list(FACT_COLUMNS)]
        gold = {
            "dim_customer": dim_customer,
            "dim_product": dim_product,
            "dim_date": dim_date,
            "fact_order_lines": fact,
            "kpi_daily": _kpi_daily(pd, fact, silver["payments"], dim_date),
        }
        for name, frame in gold.items():
            frame.to_parquet(output / f"{name}.parquet", index=False)
            build.rows += len(frame)
    return {"build": build.to_json(), "format": "parquet", "path": str(output)}
