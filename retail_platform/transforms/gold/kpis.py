"""Gold KPIs: one row of daily business figures per calendar day."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY

CANCELLED = "cancelled"
# Divisions run at 10 decimals, then round half away from zero (= half-up, all figures are
# non-negative); truncation at the 10th decimal can never move a value across a half.
_DIVISION_DTYPE = pl.Decimal(38, 10)


def rounded_ratio(numerator: pl.Expr, denominator: pl.Expr, decimals: int) -> pl.Expr:
    """numerator / denominator rounded half-up to ``decimals``; 0 when the denominator is 0."""
    # The division is evaluated for every row, so a zero denominator is made null first.
    safe_denominator = pl.when(denominator > 0).then(denominator)
    ratio = numerator.cast(_DIVISION_DTYPE) / safe_denominator
    return ratio.round(decimals, mode="half_away_from_zero").fill_null(0)


def customer_order_days(fact_order_lines: pl.LazyFrame, dim_customer: pl.LazyFrame) -> pl.LazyFrame:
    """(customer_id, date_key, revenue, lines, date) per customer and day with a
    non-cancelled order (lines: how many; the marts' customer state keeps them).

    Facts point at customer versions; the durable customer_id comes from dim_customer, so a
    customer whose loyalty tier changed is still one customer. Returned orders count (they
    were placed) with their net revenue of 0.
    """
    # The unknown customer (key -1) stands for customers gold cannot name: not a customer.
    customers = dim_customer.select("customer_key", "customer_id").filter(
        pl.col("customer_key") != UNKNOWN_KEY
    )
    return (
        fact_order_lines.filter(pl.col("status") != CANCELLED)
        .join(customers, on="customer_key", how="inner")
        .group_by("customer_id", "date_key")
        .agg(revenue=pl.col("net_amount_reporting").sum(), lines=pl.len().cast(pl.Int64))
        .with_columns(date=pl.col("date_key").cast(pl.String).str.to_date("%Y%m%d"))
    )


def daily_sales(fact_order_lines: pl.LazyFrame) -> pl.LazyFrame:
    """Revenue and distinct non-cancelled orders per date_key of the given order facts."""
    not_cancelled = pl.col("status") != CANCELLED
    return fact_order_lines.group_by("date_key").agg(
        # net_amount_reporting is already 0 for cancelled and returned orders.
        revenue=pl.col("net_amount_reporting").sum(),
        orders=pl.col("order_id").filter(not_cancelled).n_unique(),
    )


def first_order_days(days: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id -> first_date_key, the earliest of the ``customer_order_days`` given."""
    return days.group_by("customer_id").agg(first_date_key=pl.col("date_key").min())


def daily_customers(days: pl.LazyFrame, first_days: pl.LazyFrame) -> pl.LazyFrame:
    """New and returning customers per day of ``days``: new on the day of their first
    non-cancelled order (the rule of dim_customer.first_order_date), returning on any later
    order day. ``first_days`` must hold each customer's first day over all of their facts."""
    return (
        days.join(first_days, on="customer_id", how="inner")
        .group_by("date_key")
        .agg(
            new_customers=(pl.col("date_key") == pl.col("first_date_key")).sum(),
            returning_customers=(pl.col("date_key") > pl.col("first_date_key")).sum(),
        )
    )


def daily_payments(fact_payments: pl.LazyFrame) -> pl.LazyFrame:
    """Payment attempts by status per date_key of the given payment facts."""
    status = pl.col("status")
    return fact_payments.group_by("date_key").agg(
        captured=(status == "captured").sum(),
        refunded=(status == "refunded").sum(),
        failed=(status == "failed").sum(),
        attempts=pl.len(),
    )


def build_kpi_daily(
    fact_order_lines: pl.LazyFrame,
    fact_payments: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    dim_date: pl.LazyFrame,
    days: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """gold.KPI_DAILY: one row per dim_date day from the first to the last day with an order
    or a payment, zeros where nothing happened (partner sales can widen dim_date beyond the
    commerce channel's days; those days are not KPI days).

    revenue = sum of net_amount_reporting; orders = distinct non-cancelled orders;
    average_order_value = revenue / orders (2 dp); new / returning customers as in
    ``daily_customers``; refund_rate = refunded / (captured + refunded) and
    payment_failure_rate = failed / all attempts (4 dp). Rounding is half-up; a rate or
    average with a zero denominator is 0. ``days``: ``customer_order_days`` of these facts
    when the caller has them already (the asset keeps them as the customer state).
    """
    active_days = pl.concat(
        [fact_order_lines.select("date_key"), fact_payments.select("date_key")]
    ).select(first=pl.col("date_key").min(), last=pl.col("date_key").max())
    calendar_days = (
        dim_date.select("date_key", "date")
        .join(active_days, how="cross")
        .filter(pl.col("date_key").is_between(pl.col("first"), pl.col("last")))
        .drop("first", "last")
    )
    if days is None:
        days = customer_order_days(fact_order_lines, dim_customer)
    return kpi_rows(
        calendar_days,
        daily_sales(fact_order_lines),
        daily_customers(days, first_order_days(days)),
        daily_payments(fact_payments),
    )


def kpi_rows(
    calendar_days: pl.LazyFrame,
    sales: pl.LazyFrame,
    customers: pl.LazyFrame,
    payments: pl.LazyFrame,
) -> pl.LazyFrame:
    """gold.KPI_DAILY rows for ``calendar_days`` (date_key, date) from the per-day figures
    (``daily_sales``, ``daily_customers``, ``daily_payments``); the full build and the
    incremental one (transforms/gold/marts_incremental.py) share it."""
    counts = ["orders", "new_customers", "returning_customers"]
    payment_counts = ["captured", "refunded", "failed", "attempts"]
    daily = (
        calendar_days.join(sales, on="date_key", how="left")
        .join(customers, on="date_key", how="left")
        .join(payments, on="date_key", how="left")
        .with_columns(
            pl.col("revenue").fill_null(pl.lit(0, MONEY)),
            *(pl.col(name).cast(pl.Int64).fill_null(0) for name in counts + payment_counts),
        )
        .with_columns(
            average_order_value=rounded_ratio(pl.col("revenue"), pl.col("orders"), 2),
            refund_rate=rounded_ratio(
                pl.col("refunded"), pl.col("captured") + pl.col("refunded"), 4
            ),
            payment_failure_rate=rounded_ratio(pl.col("failed"), pl.col("attempts"), 4),
        )
        .sort("date_key")
    )
    return conform(daily, gold.KPI_DAILY)
