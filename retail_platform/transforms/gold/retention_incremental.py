"""fact_customer_retention for the cohorts a change of the order facts touches
(transforms/gold/marts_incremental.py has the shared part: who is touched; the customer state,
transforms/gold/customer_days.py, gives first days and activity days before and after).

Like kpi_daily, in two steps: ``retention_affected_cohorts`` and ``retention_affected_months``
say which cohorts (the slice values) and which of their months change;
``retention_for_cohorts`` gives their rows with ``retention_grid``, the full build's own code,
from the published cells and the touched customers' state rows before and after the changes
(the state keeps each customer's revenue per day): a night reads no facts.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from retail_platform.contracts.model import MONEY
from retail_platform.transforms.gold.customer_days import (
    History,
    first_days_between,
    key_ids,
    state_history,
    stored_state,
)
from retail_platform.transforms.gold.marts_incremental import month_of, touched_customers
from retail_platform.transforms.gold.retention import retention_grid


def last_month_of(state: pl.LazyFrame) -> pl.LazyFrame:
    """One row, last_month: the month of the last non-cancelled order of a known customer
    (build_fact_customer_retention's last month), the last day of the customer state."""
    return stored_state(state).select(month_of(pl.col("date_key").max()).alias("last_month"))


def last_month_since(state: pl.LazyFrame, since: date) -> pl.LazyFrame:
    """``last_month_of`` the state's stored rows on or after ``since`` only (a filter the scan
    applies; no sum over the whole state): the state's last month when a counted day lies
    there, else null (the caller then takes ``last_month_of`` the whole state)."""
    first_day = since.year * 10_000 + since.month * 100 + since.day
    return last_month_of(state.filter(pl.col("date_key") >= first_day))


def _cohort_moves(touched: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id, old_cohort, new_cohort (months of the old and new first day; null: none)."""
    return touched.select(
        "customer_id",
        old_cohort=month_of(pl.col("old_first_date_key")),
        new_cohort=month_of(pl.col("new_first_date_key")),
    )


def retention_affected_cohorts(
    changed_lines: pl.LazyFrame,
    state: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    previous_retention: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None = None,
    last: pl.LazyFrame | None = None,
    history: History | None = None,
) -> pl.LazyFrame:
    """cohort_month, recompute, size_change: the cohorts whose rows differ from
    ``previous_retention`` (the published table). ``state``: the customer state after the
    changes; ``last``: ``last_month_of`` it and ``history``: ``state_history`` of the changes
    (collected: it is used several times), when the caller has them already.

    recompute = True: the old and the new cohort of every customer a changed fact row names;
    size_change = customers who moved into the cohort minus those who left it.
    recompute = False: every other published cohort when the last month moved (a new month
    adds a zero row to each, a vanished one removes one). Those rows follow from the published
    rows alone (no customer of theirs changed, so no activity in the new months), so a new
    month costs a rewrite of the small retention table (cohorts x months), not a scan of facts.
    """
    if history is not None:
        touched = first_days_between(*history)
    else:
        touched = touched_customers(changed_lines, state, dim_customer, customer_changes)
    moves = _cohort_moves(touched)
    moved = moves.filter(pl.col("old_cohort").ne_missing(pl.col("new_cohort")))
    recompute = (
        pl.concat(
            [
                moves.select(pl.col("old_cohort").alias("cohort_month"), change=pl.lit(0)),
                moves.select(pl.col("new_cohort").alias("cohort_month"), change=pl.lit(0)),
                moved.select(pl.col("old_cohort").alias("cohort_month"), change=pl.lit(-1)),
                moved.select(pl.col("new_cohort").alias("cohort_month"), change=pl.lit(1)),
            ]
        )
        .drop_nulls("cohort_month")
        .group_by("cohort_month")
        .agg(size_change=pl.col("change").sum().cast(pl.Int64))
        .with_columns(recompute=pl.lit(True))
    )
    last_moved = (
        (last if last is not None else last_month_of(state))
        .join(previous_retention.select(was_last=pl.col("activity_month").max()), how="cross")
        .select(moved=pl.col("last_month").ne_missing(pl.col("was_last")))
    )
    extended = (
        previous_retention.select("cohort_month")
        .unique()
        .join(last_moved, how="cross")
        .filter(pl.col("moved"))
        .join(recompute, on="cohort_month", how="anti")
        .select("cohort_month", recompute=pl.lit(False), size_change=pl.lit(0, pl.Int64))
    )
    return pl.concat([recompute.select(extended.collect_schema().names()), extended]).sort(
        "cohort_month"
    )


def retention_affected_months(
    changed_lines: pl.LazyFrame,
    state: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    customer_changes: pl.LazyFrame | None = None,
    history: History | None = None,
) -> pl.LazyFrame:
    """activity_month: the months whose cells (cohort x month) of the recomputed cohorts can
    change: the months of changed fact rows, and every month with an order (before or after)
    of a customer whose cohort changed (their activity moves between cohorts), read from the
    customer state (``state``, after the changes; ``history`` as in
    ``retention_affected_cohorts``) rather than from their facts."""
    if history is None:
        history = state_history(changed_lines, state, key_ids(dim_customer, customer_changes))
    touched, before, now = history
    moves = _cohort_moves(first_days_between(touched, before, now))
    movers = moves.filter(pl.col("old_cohort").ne_missing(pl.col("new_cohort")))
    mover_rows = pl.concat([before, now]).join(movers, on="customer_id", how="semi")
    return (
        pl.concat([changed_lines.select("date_key"), mover_rows.select("date_key")])
        .select(month_of(pl.col("date_key")).alias("activity_month"))
        .unique()
        .sort("activity_month")
    )


def _contributions(rows: pl.LazyFrame, sign: int) -> pl.LazyFrame:
    """cohort_month, activity_month, active_customers, revenue: what the customers of
    ``rows`` (state rows, all of each customer's days) add to the cells of their cohort
    (the month of their first day), times ``sign``."""
    months = rows.with_columns(
        cohort_month=month_of(pl.col("date_key").min().over("customer_id")),
        activity_month=month_of(pl.col("date_key")),
    )
    return months.group_by("cohort_month", "activity_month").agg(
        active_customers=(pl.col("customer_id").n_unique() * sign).cast(pl.Int64),
        revenue=(pl.col("revenue").sum() * sign).cast(MONEY),
    )


def retention_for_cohorts(
    cohorts: pl.DataFrame,
    previous_retention: pl.LazyFrame,
    history: History,
    last: pl.LazyFrame,
) -> pl.LazyFrame:
    """The rows build_fact_customer_retention gives for ``cohorts``
    (``retention_affected_cohorts``), every row up to the current last month (``last``:
    ``last_month_of`` the state after the changes; ``history``: ``state_history`` of the
    changes). No fact is read.

    Recomputed cohorts: size = published size + size_change; each cell = the published cell
    minus what the touched customers gave it before the changes (their state rows before,
    in their old cohort) plus what they give it now (in their new cohort): a customer counts
    once in each month with a counted day and adds that month's revenue, and no other
    customer's days changed.
    Extended cohorts: the published rows, cut or padded with zeros.
    """
    _, before, now = history
    recompute = cohorts.filter(pl.col("recompute")).select("cohort_month", "size_change")
    wanted = list(recompute.get_column("cohort_month"))
    extend = list(cohorts.filter(~pl.col("recompute")).get_column("cohort_month"))
    published = previous_retention.select(
        "cohort_month",
        "activity_month",
        "cohort_customers",
        "active_customers",
        pl.col("revenue").cast(MONEY),
    )
    cells = (
        pl.concat(
            [
                published.filter(pl.col("cohort_month").is_in(wanted)).drop("cohort_customers"),
                _contributions(before, -1),
                _contributions(now, 1),
            ]
        )
        .group_by("cohort_month", "activity_month")
        .agg(pl.col("active_customers").sum(), pl.col("revenue").sum().cast(MONEY))
        .filter(pl.col("cohort_month").is_in(wanted))
    )
    published_sizes = published.group_by("cohort_month").agg(pl.col("cohort_customers").first())
    sizes = (
        recompute.lazy()
        .join(published_sizes, on="cohort_month", how="left")
        .select(
            "cohort_month",
            cohort_customers=pl.col("cohort_customers").fill_null(0) + pl.col("size_change"),
        )
        .filter(pl.col("cohort_customers") > 0)  # a cohort everybody left has no rows
    )
    kept = published.filter(pl.col("cohort_month").is_in(extend))
    kept_sizes = kept.group_by("cohort_month").agg(pl.col("cohort_customers").first())
    return pl.concat(
        [
            retention_grid(sizes, cells, last),
            retention_grid(kept_sizes, kept.drop("cohort_customers"), last),
        ]
    ).sort("cohort_month", "activity_month")
