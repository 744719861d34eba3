"""Gold KPIs: one row of daily business figures per calendar day."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.keys import date_key

CANCELLED = "cancelled"
# Divisions run at 10 decimals, then round half away from zero (= half-up, all figures are
# non-negative); truncation at the 10th decimal can never move a value across a half.
_DIVISION_DTYPE = pl.Decimal(38, 10)


def _rounded_ratio(numerator: pl.Expr, denominator: pl.Expr, decimals: int) -> pl.Expr:
    """numerator / denominator rounded half-up to ``decimals``; 0 when the denominator is 0."""
    # The division is evaluated for every row, so a zero denominator is made null first.
    safe_denominator = pl.when(denominator > 0).then(denominator)
    ratio = numerator.cast(_DIVISION_DTYPE) / safe_denominator
    return ratio.round(decimals, mode="half_away_from_zero").fill_null(0)


def _daily_sales(fact_order_lines: pl.LazyFrame) -> pl.LazyFrame:
    not_cancelled = pl.col("status") != CANCELLED
    return fact_order_lines.group_by("date_key").agg(
        # net_amount is already 0 for cancelled and returned orders.
        revenue=pl.col("net_amount").sum(),
        orders=pl.col("order_id").filter(not_cancelled).n_unique(),
    )


def _daily_customers(fact_order_lines: pl.LazyFrame) -> pl.LazyFrame:
    """New and returning customers per day, from non-cancelled order lines.

    A customer's first order is the smallest date_key over their non-cancelled lines in the
    fact table (which carries customer_key and date_key), the same rule as
    dim_customer.first_order_date.
    """
    customer_days = (
        fact_order_lines.filter(pl.col("status") != CANCELLED)
        .select("date_key", "customer_key")
        .unique()
    )
    first_days = customer_days.group_by("customer_key").agg(first_date_key=pl.col("date_key").min())
    return (
        customer_days.join(first_days, on="customer_key", how="inner")
        .group_by("date_key")
        .agg(
            new_customers=(pl.col("date_key") == pl.col("first_date_key")).sum(),
            returning_customers=(pl.col("date_key") > pl.col("first_date_key")).sum(),
        )
    )


def _daily_payments(payments: pl.LazyFrame) -> pl.LazyFrame:
    status = pl.col("status")
    return (
        payments.with_columns(date_key=date_key("payment_date"))
        .group_by("date_key")
        .agg(
            captured=(status == "captured").sum(),
            refunded=(status == "refunded").sum(),
            failed=(status == "failed").sum(),
            attempts=pl.len(),
        )
    )


def build_kpi_daily(
    fact_order_lines: pl.LazyFrame, payments: pl.LazyFrame, dim_date: pl.LazyFrame
) -> pl.LazyFrame:
    """gold.KPI_DAILY: exactly one row per dim_date row, zeros where nothing happened.

    revenue = sum of net_amount; orders = distinct non-cancelled orders; average_order_value
    = revenue / orders (2 dp); new / returning customers as in ``_daily_customers``;
    refund_rate = refunded / (captured + refunded) and payment_failure_rate = failed / all
    attempts (4 dp). Rounding is half-up; a rate or average with a zero denominator is 0.
    Payments dated outside dim_date are not reported (dim_date spans the order dates).
    """
    counts = ["orders", "new_customers", "returning_customers"]
    payment_counts = ["captured", "refunded", "failed", "attempts"]
    daily = (
        dim_date.select("date_key", "date")
        .join(_daily_sales(fact_order_lines), on="date_key", how="left")
        .join(_daily_customers(fact_order_lines), on="date_key", how="left")
        .join(_daily_payments(payments), on="date_key", how="left")
        .with_columns(
            pl.col("revenue").fill_null(pl.lit(0, MONEY)),
            *(pl.col(name).cast(pl.Int64).fill_null(0) for name in counts + payment_counts),
        )
        .with_columns(
            average_order_value=_rounded_ratio(pl.col("revenue"), pl.col("orders"), 2),
            refund_rate=_rounded_ratio(
                pl.col("refunded"), pl.col("captured") + pl.col("refunded"), 4
            ),
            payment_failure_rate=_rounded_ratio(pl.col("failed"), pl.col("attempts"), 4),
        )
        .sort("date_key")
    )
    return conform(daily, gold.KPI_DAILY)
