"""Customer retention by cohort: first-order month x activity month."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.gold.kpis import customer_order_days, rounded_ratio


def _month_index(month: pl.Expr) -> pl.Expr:
    return month.dt.year().cast(pl.Int32) * 12 + month.dt.month().cast(pl.Int32)


def build_fact_customer_retention(
    fact_order_lines: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    days: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """gold.FACT_CUSTOMER_RETENTION from the order facts of non-cancelled orders.

    A customer's cohort is the month of their first non-cancelled order (the rule behind
    new_customers in kpi_daily). Each cohort gets a row for every month from its own to the
    last month with any order, zeros where none of its customers ordered. ``days``:
    ``customer_order_days`` of these facts when the caller has them already.
    """
    if days is None:
        days = customer_order_days(fact_order_lines, dim_customer)
    days = days.with_columns(activity_month=pl.col("date").dt.truncate("1mo"))
    sizes, activity = cohort_figures(days)
    last_month = days.select(pl.col("activity_month").max().alias("last_month"))
    return retention_grid(sizes, activity, last_month)


def cohort_figures(days: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(sizes, activity) of the cohorts of the customers in ``days`` (customer_order_days
    with activity_month), which must hold all of each customer's days: sizes = cohort_month,
    cohort_customers; activity = cohort_month, activity_month, active_customers, revenue."""
    cohorts = days.group_by("customer_id").agg(cohort_month=pl.col("activity_month").min())
    sizes = cohorts.group_by("cohort_month").agg(cohort_customers=pl.len().cast(pl.Int64))
    activity = (
        days.join(cohorts, on="customer_id")
        .group_by("cohort_month", "activity_month")
        .agg(
            active_customers=pl.col("customer_id").n_unique().cast(pl.Int64),
            revenue=pl.col("revenue").sum(),
        )
    )
    return sizes, activity


def retention_grid(
    sizes: pl.LazyFrame, activity: pl.LazyFrame, last_month: pl.LazyFrame
) -> pl.LazyFrame:
    """gold.FACT_CUSTOMER_RETENTION rows: for each cohort of ``sizes`` (cohort_month,
    cohort_customers), one row per month up to ``last_month`` (one row, column last_month),
    figures from ``activity`` (cohort_month, activity_month, active_customers, revenue), zeros
    where it has none; its rows after last_month are dropped. The full build and the
    incremental one (transforms/gold/marts_incremental.py) share it."""
    grid = (
        sizes.join(last_month, how="cross")
        .with_columns(
            activity_month=pl.date_ranges("cohort_month", "last_month", "1mo"),
        )
        .explode("activity_month")
        # No last month (no orders at all) leaves no month to list.
        .drop_nulls("activity_month")
        .drop("last_month")
    )
    retention = (
        grid.join(activity, on=["cohort_month", "activity_month"], how="left")
        .with_columns(
            pl.col("active_customers").fill_null(0),
            pl.col("revenue").fill_null(pl.lit(0, MONEY)),
            months_since_first_order=_month_index(pl.col("activity_month"))
            - _month_index(pl.col("cohort_month")),
        )
        .with_columns(
            retention_rate=rounded_ratio(pl.col("active_customers"), pl.col("cohort_customers"), 4)
        )
        .sort("cohort_month", "activity_month")
    )
    return conform(retention, gold.FACT_CUSTOMER_RETENTION)
