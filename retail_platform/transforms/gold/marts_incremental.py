"""kpi_daily and fact_customer_retention for the slice a change of the order facts touches.

The input is the change data feed (CDF) of the gold order facts since the version a mart
consumed last (``_change_type`` in insert / delete / update_preimage / update_postimage and
``_commit_version``), the customer state after those changes (transforms/gold/customer_days.py:
each customer's counted order lines and revenue per day, so first days before and after the
changes are read there, never from a customer's fact history) and the published mart. Two
steps, so that the asset can collect the (small) set of affected values first:

1. ``kpi_affected_dates`` (retention: transforms/gold/retention_incremental.py): which values
   of the slice column change;
2. ``kpi_daily_for_dates``: the full build's rows for those values, as the published rows
   plus what the changes add and take away (``kpi_rows`` is the full build's own code), so
   no day's facts are read; only the (order, day) pairs whose counting the changes cannot
   settle (``ambiguous_orders``) are looked up in the facts (``counted_lines``).

Customers are durable customer_ids: fact rows point at customer versions (customer_key =
stable_key(customer_id, version), so a key always means the same customer). The current
dim_customer resolves the keys of current facts; a pre-image's key removed from dim_customer
since is resolved by dim_customer's change feed (``customer_changes``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.conform import conform
from retail_platform.transforms.gold.customer_days import (
    BEFORE,
    CHANGE_TYPE,
    COMMIT_VERSION,
    History,
    first_days_before_and_now,
    first_days_between,
    key_ids,
)
from retail_platform.transforms.gold.kpis import CANCELLED, daily_payments, kpi_rows


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


def _signed(column: pl.Expr) -> pl.Expr:
    """``column`` of a change row, negated for a pre-image or a delete (what it takes away)."""
    before = pl.col(CHANGE_TYPE).is_in(BEFORE)
    return pl.when(before).then(-column).otherwise(column)


def _order_days(changed_lines: pl.LazyFrame) -> pl.LazyFrame:
    """order_id, date_key, pre, post: per changed (order, day), its non-cancelled line
    images lost (pre) and gained (post) over the changes. Images are netted here (an image
    lost and gained again within the range is neither), so ``pre`` lines existed before the
    changes and ``post`` lines exist now, whether or not the feed was netted already."""
    data = [
        name
        for name in changed_lines.collect_schema().names()
        if name not in (CHANGE_TYPE, COMMIT_VERSION)
    ]
    net = pl.col("net")
    counted = pl.col("status") != CANCELLED
    return (
        changed_lines.group_by(data)
        .agg(net=_signed(pl.lit(1, pl.Int64)).sum())
        .group_by("order_id", "date_key")
        .agg(
            pre=pl.when(counted & (net < 0)).then(-net).otherwise(0).sum(),
            post=pl.when(counted & (net > 0)).then(net).otherwise(0).sum(),
        )
    )


def _sales_changes(changed_lines: pl.LazyFrame, counted_now: pl.LazyFrame) -> pl.LazyFrame:
    """date_key, revenue, orders: how each day's revenue (every line's net amount) and
    distinct non-cancelled orders changed. An (order, day) counts when it has a
    non-cancelled line: with ``pre`` and ``post`` of ``_order_days`` and n such lines now,
    it had n - post + pre before. Both counts are positive when pre and post both are, and
    agree when both are zero; otherwise n comes from ``counted_now``."""
    revenue = changed_lines.group_by("date_key").agg(
        revenue=_signed(pl.col("net_amount_reporting")).sum()
    )
    was = pl.col("n") - pl.col("post") + pl.col("pre") > 0
    orders = (
        pl.when((pl.col("pre") > 0) == (pl.col("post") > 0))
        .then(0)
        .otherwise((pl.col("n") > 0).cast(pl.Int64) - was.cast(pl.Int64))
    )
    counts = (
        _order_days(changed_lines)
        .join(counted_now, on=["order_id", "date_key"], how="left")
        .with_columns(pl.col("n").fill_null(0))
        .group_by("date_key")
        .agg(orders=orders.sum())
    )
    return revenue.join(counts, on="date_key", how="full", coalesce=True).with_columns(
        pl.col("orders").fill_null(0)
    )


def ambiguous_orders(changed_lines: pl.LazyFrame) -> pl.LazyFrame:
    """order_id, date_key of the changed (order, day) pairs that gained non-cancelled lines
    and lost none, or lost some and gained none: whether the day counts the order before
    (or after) depends on its unchanged lines (``counted_lines``)."""
    return (
        _order_days(changed_lines)
        .filter((pl.col("pre") > 0) != (pl.col("post") > 0))
        .select("order_id", "date_key")
    )


def counted_lines(fact_order_lines: pl.LazyFrame, pairs: pl.DataFrame) -> pl.LazyFrame:
    """order_id, date_key, n: the current non-cancelled lines of the (order, day) ``pairs``
    (read for their days only: the facts are clustered by date_key)."""
    days = pairs.get_column("date_key").unique().to_list()
    return (
        fact_order_lines.filter(pl.col("date_key").is_in(days) & (pl.col("status") != CANCELLED))
        .select("order_id", "date_key")
        .join(pairs.lazy(), on=["order_id", "date_key"], how="semi")
        .group_by("order_id", "date_key")
        .agg(n=pl.len().cast(pl.Int64))
    )


def _customer_days(rows: pl.LazyFrame, sign: int, dates: Sequence[int]) -> pl.LazyFrame:
    """date_key, new_customers, returning_customers the customers of ``rows`` (state rows,
    all of each customer's days) add to each of ``dates``, times ``sign``."""
    first = pl.col("first")
    firsts = rows.group_by("customer_id").agg(first=pl.col("date_key").min())
    # Each customer's first day over all their rows, then only the rows of the wanted dates.
    return (
        rows.filter(pl.col("date_key").is_in(list(dates)))
        .join(firsts, on="customer_id", how="inner")
        .group_by("date_key")
        .agg(
            new_customers=((pl.col("date_key") == first).sum() * sign).cast(pl.Int64),
            returning_customers=((pl.col("date_key") > first).sum() * sign).cast(pl.Int64),
        )
    )


def _plus(published: pl.LazyFrame, changes: list[pl.LazyFrame], columns: list[str]) -> pl.LazyFrame:
    """date_key and ``columns``: the published figures plus the changes, per day."""
    parts = [published.select("date_key", *columns)]
    parts += [frame.select("date_key", *columns) for frame in changes]
    return pl.concat(parts, how="vertical_relaxed").group_by("date_key").agg(pl.col(columns).sum())


def kpi_daily_for_dates(
    dates: Sequence[int],
    changed_lines: pl.LazyFrame,
    changed_payments: pl.LazyFrame,
    counted_now: pl.LazyFrame,
    fact_payments: pl.LazyFrame,
    previous_kpi: pl.LazyFrame,
    history: History,
    dim_date: pl.LazyFrame,
    span: pl.LazyFrame,
) -> pl.LazyFrame:
    """The rows build_kpi_daily gives for ``dates`` (none for a date outside the KPI range),
    from the published rows and the changes: no order fact of a day is read.

    Revenue and orders add up over rows, so each day's are its published figures plus those
    of the changes (``_sales_changes``; ``counted_now``: ``counted_lines`` of the
    ``ambiguous_orders``). New and returning customers: the published counts minus what the
    touched customers gave each day before the changes plus what they give now
    (``history``: ``state_history`` of the changes; every other customer's days and first
    day are unchanged). The payment rates of a day with changed payments come from its
    payment facts (the table keeps rates, not counts); any other day keeps its published
    rates. A day entering the KPI range had no fact: its published figures are zero.
    ``span``: the (first, last) row of ``active_range`` of the facts now.
    """
    wanted = pl.col("date_key").is_in(list(dates))
    calendar_days = (
        dim_date.filter(wanted)
        .select("date_key", "date")
        .join(span, how="cross")
        .filter(pl.col("date_key").is_between(pl.col("first"), pl.col("last")))
        .drop("first", "last")
    )
    published = previous_kpi.filter(wanted)
    _, before, now = history
    line_changes = _sales_changes(changed_lines.filter(wanted), counted_now)
    sales = _plus(published, [line_changes], ["revenue", "orders"])
    customers = _plus(
        published,
        [_customer_days(before, -1, dates), _customer_days(now, 1, dates)],
        ["new_customers", "returning_customers"],
    )
    paid_days = changed_payments.select("date_key").unique().collect().get_column("date_key")
    repaid = pl.col("date_key").is_in(paid_days.to_list())
    payments = daily_payments(fact_payments.filter(wanted & repaid))
    rates = ["refund_rate", "payment_failure_rate"]
    kept_rates = published.select("date_key", *(pl.col(r).alias(f"published_{r}") for r in rates))
    rows = (
        kpi_rows(calendar_days, sales, customers, payments)
        .join(kept_rates, on="date_key", how="left")
        .with_columns(
            pl.when(repaid)
            .then(pl.col(rate))
            .otherwise(pl.col(f"published_{rate}").fill_null(pl.col(rate)))
            .alias(rate)
            for rate in rates
        )
    )
    return conform(rows.sort("date_key"), gold.KPI_DAILY)


def month_of(date_key: pl.Expr) -> pl.Expr:
    return date_key.cast(pl.String).str.to_date("%Y%m%d").dt.truncate("1mo")
