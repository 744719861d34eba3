"""silver -> gold: the star schema (dimensions and the order-line fact) and the daily KPIs."""

import dagster as dg
import polars as pl

from retail_platform.assets.specs import asset_kwargs
from retail_platform.contracts import gold
from retail_platform.transforms.gold.dimensions import (
    build_dim_customer,
    build_dim_date,
    build_dim_product,
)
from retail_platform.transforms.gold.facts import build_fact_order_lines
from retail_platform.transforms.gold.kpis import build_kpi_daily

KINDS = {"delta", "polars"}
SILVER_ORDERS = dg.AssetIn(key=["silver", "orders"])


@dg.asset(
    **asset_kwargs("gold", gold.DIM_CUSTOMER, KINDS),
    ins={"customers": dg.AssetIn(key=["silver", "customers"]), "orders": SILVER_ORDERS},
)
def dim_customer(customers: pl.LazyFrame, orders: pl.LazyFrame) -> pl.DataFrame:
    return build_dim_customer(customers, orders).collect()


@dg.asset(
    **asset_kwargs("gold", gold.DIM_PRODUCT, KINDS),
    ins={"products": dg.AssetIn(key=["silver", "products"])},
)
def dim_product(products: pl.LazyFrame) -> pl.DataFrame:
    return build_dim_product(products).collect()


@dg.asset(**asset_kwargs("gold", gold.DIM_DATE, KINDS), ins={"orders": SILVER_ORDERS})
def dim_date(orders: pl.LazyFrame) -> dg.Output[pl.DataFrame]:
    """Spans the first to the last order date, so every fact date resolves."""
    bounds = orders.select(
        pl.col("order_date").min().alias("first"), pl.col("order_date").max().alias("last")
    ).collect()
    first, last = bounds.row(0)
    if first is None:
        raise ValueError("dim_date: silver orders is empty, so there is no date range to cover")
    frame = build_dim_date(first, last).collect()
    return dg.Output(frame, metadata={"first_date": str(first), "last_date": str(last)})


@dg.asset(
    **asset_kwargs("gold", gold.FACT_ORDER_LINES, KINDS),
    ins={"order_lines": dg.AssetIn(key=["silver", "order_lines"]), "orders": SILVER_ORDERS},
    deps=[dg.AssetKey(["gold", "dim_customer"]), dg.AssetKey(["gold", "dim_product"])],
)
def fact_order_lines(order_lines: pl.LazyFrame, orders: pl.LazyFrame) -> pl.DataFrame:
    return build_fact_order_lines(order_lines, orders).collect()


@dg.asset(
    **asset_kwargs("gold", gold.KPI_DAILY, KINDS),
    ins={
        "fact": dg.AssetIn(key=["gold", "fact_order_lines"]),
        "payments": dg.AssetIn(key=["silver", "payments"]),
        "calendar": dg.AssetIn(key=["gold", "dim_date"]),
    },
)
def kpi_daily(fact: pl.LazyFrame, payments: pl.LazyFrame, calendar: pl.LazyFrame) -> pl.DataFrame:
    return build_kpi_daily(fact, payments, calendar).collect()
