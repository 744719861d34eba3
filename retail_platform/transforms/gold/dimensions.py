"""Gold dimensions: customer, product and a contiguous calendar."""

from __future__ import annotations

from datetime import date

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.conform import conform
from retail_platform.transforms.keys import date_key, stable_key

CANCELLED = "cancelled"


def build_dim_customer(customers: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver customer (gold.DIM_CUSTOMER).

    first_order_date is the earliest order_date of the customer's non-cancelled orders
    (returned orders count: they were placed), null when there is none.
    """
    first_orders = (
        orders.filter(pl.col("status") != CANCELLED)
        .group_by("customer_id")
        .agg(first_order_date=pl.col("order_date").min())
    )
    dim = customers.join(first_orders, on="customer_id", how="left").with_columns(
        customer_key=stable_key("customer_id"),
        registered_at=pl.col("created_at"),
    )
    return conform(dim, gold.DIM_CUSTOMER)


def build_dim_product(products: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver product (gold.DIM_PRODUCT) with its stable product_key."""
    return conform(products.with_columns(product_key=stable_key("product_id")), gold.DIM_PRODUCT)


def _calendar(dates: pl.LazyFrame) -> pl.LazyFrame:
    """Calendar attributes of a frame with one ``date`` column (gold.DIM_DATE)."""
    day = pl.col("date")
    calendar = dates.with_columns(
        date_key=date_key(day),
        year=day.dt.year(),
        quarter=day.dt.quarter(),
        month=day.dt.month(),
        # chrono's %B/%A are locale-independent English names.
        month_name=day.dt.strftime("%B"),
        day_of_month=day.dt.day(),
        day_of_week=day.dt.weekday(),
        day_name=day.dt.strftime("%A"),
        iso_year=day.dt.iso_year(),
        iso_week=day.dt.week(),
        is_weekend=day.dt.weekday() >= 6,
    )
    return conform(calendar, gold.DIM_DATE)


def build_dim_date(start: date, end: date) -> pl.LazyFrame:
    """Every calendar day from ``start`` to ``end`` inclusive, one row each, in date order."""
    if start > end:
        raise ValueError(f"dim_date start {start} is after end {end}")
    dates = pl.LazyFrame().select(pl.date_range(start, end, "1d").alias("date"))
    return _calendar(dates)


def build_dim_date_for_orders(orders: pl.LazyFrame) -> pl.LazyFrame:
    """The calendar from the first to the last order_date of ``orders``, computed lazily.

    The range is derived inside the query (no collect), so the asset needs no extra pass;
    it is empty when there are no orders. Equivalent to ``build_dim_date(min, max)``.
    """
    bounds = orders.select(start=pl.col("order_date").min(), end=pl.col("order_date").max()).filter(
        pl.col("start").is_not_null()
    )
    # date_ranges (one list per row) tolerates the empty frame that date_range would reject.
    dates = bounds.select(pl.date_ranges("start", "end", "1d").alias("date")).explode("date")
    return _calendar(dates)
