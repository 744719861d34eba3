"""kpi_daily and fact_customer_retention for the slice a change of the order facts touches.

The input is the change data feed (CDF) of the gold order facts since the version a mart
consumed last (``_change_type`` in insert / delete / update_preimage / update_postimage and
``_commit_version``), the customer state after those changes (transforms/gold/customer_days.py:
each customer's counted order lines per day, so first days before and after the changes are
read there, never from a customer's fact history), plus scans of the current facts for the
affected dates only. Two steps, so that the asset can collect
the (small) set of affected values and push it down as a filter into the scans of the second:

1. ``kpi_affected_dates`` (retention: transforms/gold/retention_incremental.py): which values
   of the slice column change;
2. ``kpi_daily_for_dates``: the full build's rows for those values (``kpi_rows`` is the full
   build's own code).

Customers are durable customer_ids: fact rows point at customer versions (customer_key =
stable_key(customer_id, version), so a key always means the same customer). The current
dim_customer resolves the keys of current facts; a pre-image's key removed from dim_customer
since is resolved by dim_customer's change feed (``customer_changes``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from retail_platform.transforms.gold.customer_days import (
    History,
    first_days_before_and_now,
    first_days_between,
    first_days_of,
    key_ids,
)
from retail_platform.transforms.gold.kpis import (
    customer_order_days,
    daily_customers,
    daily_payments,
    daily_sales,
    kpi_rows,
)


def touched_customers(
    changed_lines: pl.LazyFrame,
    state: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """customer_id, old_first_date_key, new_first_date_key of every customer that a changed
    fact row names (before or after the change), from the customer state after the changes
    (transforms/gold/customer_days.py); a first day is null without any counted order."""
    ids = key_ids(dim_customer, customer_changes)
    return first_days_before_and_now(changed_lines, state, ids)


def _moved_first_days(touched: pl.LazyFrame) -> pl.LazyFrame:
    """date_key: the old and the new first day of every customer whose first day moved."""
    moved = touched.filter(pl.col("old_first_date_key").ne_missing(pl.col("new_first_date_key")))
    return pl.concat(
        [
            moved.select(pl.col("old_first_date_key").alias("date_key")),
            moved.select(pl.col("new_first_date_key").alias("date_key")),
        ]
    ).drop_nulls()


def active_range(fact_order_lines: pl.LazyFrame, fact_payments: pl.LazyFrame) -> pl.LazyFrame:
    """One row (first, last): the first and last day with an order or a payment, as
    build_kpi_daily spans it (a streaming min/max over two date_key columns)."""
    return pl.concat(
        [fact_order_lines.select("date_key"), fact_payments.select("date_key")]
    ).select(first=pl.col("date_key").min(), last=pl.col("date_key").max())


def kpi_affected_dates(
    changed_lines: pl.LazyFrame,
    changed_payments: pl.LazyFrame,
    fact_order_lines: pl.LazyFrame,
    fact_payments: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    dim_date: pl.LazyFrame,
    previous_kpi: pl.LazyFrame,
    state: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None = None,
    span: pl.LazyFrame | None = None,
    history: History | None = None,
) -> pl.LazyFrame:
    """date_key (unique, sorted) of every kpi_daily row that differs from ``previous_kpi``
    (the published kpi_daily, built from the facts as they were before the changes).
    ``state``: the customer state after the changes (first days before and after come from
    it, not from the facts). ``span``: the (first, last) row of ``active_range`` when the
    caller has it already (the facts and payments are not read then); ``history``:
    ``state_history`` of the changes, collected, when the caller has it:

    - the dates of changed order and payment rows, before and after the change;
    - the old and the new first day of each customer whose first day moved (a day where a
      customer stops, or starts, being new);
    - the days entering or leaving the KPI range (first to last active day): a new last day
      adds the zero days before it, a vanished first day removes rows.
    """
    changed = pl.concat([changed_lines.select("date_key"), changed_payments.select("date_key")])
    if history is not None:
        touched = first_days_between(*history)
    else:
        touched = touched_customers(changed_lines, state, dim_customer, customer_changes)
    moved = _moved_first_days(touched)
    now = span if span is not None else active_range(fact_order_lines, fact_payments)
    before = previous_kpi.select(
        was_first=pl.col("date_key").min(), was_last=pl.col("date_key").max()
    )
    in_now = pl.col("date_key").is_between(pl.col("first"), pl.col("last")).fill_null(False)
    in_before = (
        pl.col("date_key").is_between(pl.col("was_first"), pl.col("was_last")).fill_null(False)
    )
    entering = (
        dim_date.select("date_key")
        .join(now, how="cross")
        .join(before, how="cross")
        .filter(in_now & in_before.not_())
        .select("date_key")
    )
    leaving = (previous_kpi.select("date_key").join(now, how="cross").filter(in_now.not_())).select(
        "date_key"
    )
    dates = [
        frame.select(pl.col("date_key").cast(pl.Int32))
        for frame in (changed, moved, entering, leaving)
    ]
    return pl.concat(dates).unique().sort("date_key")


def kpi_daily_for_dates(
    dates: Sequence[int],
    fact_order_lines: pl.LazyFrame,
    fact_payments: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    dim_date: pl.LazyFrame,
    state: pl.LazyFrame,
    span: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The rows build_kpi_daily gives for ``dates`` (none for a date outside the KPI range;
    ``state`` and ``span`` as in ``kpi_affected_dates``).

    Facts and payments are read for these dates only; a customer's first day comes from the
    customer state (new on the first day, returning later).
    """
    wanted = pl.col("date_key").is_in(list(dates))
    calendar_days = (
        dim_date.filter(wanted)
        .select("date_key", "date")
        .join(
            span if span is not None else active_range(fact_order_lines, fact_payments), how="cross"
        )
        .filter(pl.col("date_key").is_between(pl.col("first"), pl.col("last")))
        .drop("first", "last")
    )
    lines = fact_order_lines.filter(wanted)
    days = customer_order_days(lines, dim_customer)
    firsts = first_days_of(days, state)
    return kpi_rows(
        calendar_days,
        daily_sales(lines),
        daily_customers(days, firsts),
        daily_payments(fact_payments.filter(wanted)),
    )


def month_of(date_key: pl.Expr) -> pl.Expr:
    return date_key.cast(pl.String).str.to_date("%Y%m%d").dt.truncate("1mo")
