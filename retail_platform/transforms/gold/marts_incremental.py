"""kpi_daily and fact_customer_retention for the slice a change of the order facts touches.

The input is the change data feed (CDF) of the gold order facts since the version a mart
consumed last (``_change_type`` in insert / delete / update_preimage / update_postimage and
``_commit_version``), plus scans of the current facts. Two steps, so that the asset can collect
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

from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY
from retail_platform.transforms.gold.kpis import (
    CANCELLED,
    customer_order_days,
    daily_customers,
    daily_payments,
    daily_sales,
    kpi_rows,
)

CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
# Change types that show a row as it was before the change.
_BEFORE = ("delete", "update_preimage")
_LINE = ("order_line_key", "date_key", "customer_key", "status")


def customer_ids(dim_customer: pl.LazyFrame) -> pl.LazyFrame:
    """customer_key -> customer_id of real customers (the unknown one is nobody)."""
    return (
        dim_customer.select("customer_key", "customer_id")
        .filter(pl.col("customer_key") != UNKNOWN_KEY)
        .unique()
    )


def _keys_of(customers: pl.LazyFrame, dim_customer: pl.LazyFrame) -> pl.LazyFrame:
    """(customer_key, customer_id) of every version of the customer_ids in ``customers``."""
    return customer_ids(dim_customer).join(
        customers.select("customer_id").unique(), on="customer_id", how="semi"
    )


def first_days(
    customers: pl.LazyFrame, fact_order_lines: pl.LazyFrame, dim_customer: pl.LazyFrame
) -> pl.LazyFrame:
    """customer_id -> first_date_key over all their non-cancelled facts (a streaming scan of
    the facts' customer_key and date_key, joined to the few keys of these customers)."""
    return (
        fact_order_lines.filter(pl.col("status") != CANCELLED)
        .select("customer_key", "date_key")
        .join(_keys_of(customers, dim_customer), on="customer_key", how="inner")
        .group_by("customer_id")
        .agg(first_date_key=pl.col("date_key").min())
    )


def touched_history(
    changed_lines: pl.LazyFrame,
    fact_order_lines: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None,
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """(touched, before, now): the customer_ids a changed fact row names (before or after the
    change), and their fact rows (date_key, status, customer_id) as they were before the range
    and as they are now.

    The facts before the range = the current rows no change touched, plus, for each changed
    row, its state before its first change in the range (when that first change is a delete
    or an update pre-image; a first insert means it did not exist). Within one commit the
    pre-image precedes the post-image (an overwrite deletes, then inserts).

    ``customer_changes`` (customer_key, customer_id rows of dim_customer's change feed) also
    resolves the pre-image of a fact that pointed at a customer version no longer in
    dim_customer, so that customer counts as touched too.
    """
    ids = customer_ids(dim_customer)
    if customer_changes is not None:
        ids = pl.concat([ids, customer_ids(customer_changes)]).unique()
    events = changed_lines.select(*_LINE, CHANGE_TYPE, COMMIT_VERSION).with_columns(
        _order=pl.col(COMMIT_VERSION).cast(pl.Int64) * 2
        + pl.col(CHANGE_TYPE).is_in(_BEFORE).not_().cast(pl.Int64)
    )
    touched = events.join(ids, on="customer_key", how="inner").select("customer_id").unique()
    columns = ["order_line_key", "date_key", "status", "customer_id"]
    now = (
        fact_order_lines.select(_LINE)
        .join(_keys_of(touched, dim_customer), on="customer_key", how="inner")
        .select(columns)
    )
    before_range = (
        events.filter(pl.col("_order") == pl.col("_order").min().over("order_line_key"))
        .filter(pl.col(CHANGE_TYPE).is_in(_BEFORE))
        .join(ids, on="customer_key", how="inner")
        .select(columns)
    )
    untouched = now.join(events.select("order_line_key").unique(), on="order_line_key", how="anti")
    return touched, pl.concat([untouched, before_range]), now


def touched_customers(
    changed_lines: pl.LazyFrame,
    fact_order_lines: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """customer_id, old_first_date_key, new_first_date_key of every customer that a changed
    fact row names (before or after the change; ``touched_history``); a first day is null
    without any non-cancelled order."""
    history = touched_history(changed_lines, fact_order_lines, dim_customer, customer_changes)
    return first_days_before_and_now(*history)


def first_days_before_and_now(
    touched: pl.LazyFrame, before: pl.LazyFrame, now: pl.LazyFrame
) -> pl.LazyFrame:
    def first(rows: pl.LazyFrame, name: str) -> pl.LazyFrame:
        return (
            rows.filter(pl.col("status") != CANCELLED)
            .group_by("customer_id")
            .agg(pl.col("date_key").min().alias(name))
        )

    old, new = first(before, "old_first_date_key"), first(now, "new_first_date_key")
    return touched.join(old, on="customer_id", how="left").join(new, on="customer_id", how="left")


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
    customer_changes: pl.LazyFrame | None = None,
    span: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """date_key (unique, sorted) of every kpi_daily row that differs from ``previous_kpi``
    (the published kpi_daily, built from the facts as they were before the changes).
    ``span``: the (first, last) row of ``active_range`` when the caller has it already
    (it reads whole date columns otherwise); ``fact_order_lines`` may then be narrowed to the
    rows of the customers the changes name (only their rows are read here):

    - the dates of changed order and payment rows, before and after the change;
    - the old and the new first day of each customer whose first day moved (a day where a
      customer stops, or starts, being new);
    - the days entering or leaving the KPI range (first to last active day): a new last day
      adds the zero days before it, a vanished first day removes rows.
    """
    changed = pl.concat([changed_lines.select("date_key"), changed_payments.select("date_key")])
    touched = touched_customers(changed_lines, fact_order_lines, dim_customer, customer_changes)
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
    span: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The rows build_kpi_daily gives for ``dates`` (none for a date outside the KPI range;
    ``span`` as in ``kpi_affected_dates``).

    Facts and payments are read for these dates only; a customer's first day comes from a
    scan of that customer's facts (new on the first day, returning later).
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
    firsts = first_days(days, fact_order_lines, dim_customer)
    return kpi_rows(
        calendar_days,
        daily_sales(lines),
        daily_customers(days, firsts),
        daily_payments(fact_payments.filter(wanted)),
    )


def month_of(date_key: pl.Expr) -> pl.Expr:
    return date_key.cast(pl.String).str.to_date("%Y%m%d").dt.truncate("1mo")
