"""Gold facts: order lines with surrogate keys, net of cancellations and returns."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.keys import date_key, stable_key

# Orders in these states earn nothing: their lines stay visible with net_amount 0.
ZERO_NET_STATUSES = ("cancelled", "returned")


def build_fact_order_lines(order_lines: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver order line (gold.FACT_ORDER_LINES).

    status and the date come from the line (which carries its order's latest version);
    customer, channel and currency from the order. The join is a left join so that a line
    whose order is missing is kept (with null keys the quality checks report) rather than
    silently lost.
    """
    order_attributes = orders.select("order_id", "customer_id", "channel", "currency")
    facts = order_lines.join(order_attributes, on="order_id", how="left").with_columns(
        order_line_key=stable_key("order_id", "line_number"),
        date_key=date_key("order_date"),
        customer_key=stable_key("customer_id"),
        product_key=stable_key("product_id"),
        gross_amount=pl.col("line_amount"),
        net_amount=pl.when(pl.col("status").is_in(ZERO_NET_STATUSES))
        .then(pl.lit(0, MONEY))
        .otherwise(pl.col("line_amount")),
    )
    return conform(facts, gold.FACT_ORDER_LINES)
