"""Which dates of a gold fact an input's changes affect (incremental gold, docs/data-model.md).

Inputs are change rows as Delta's change data feed gives them: the table's columns plus
`_change_type`, where `insert` / `update_postimage` rows are images a table gained and
`delete` / `update_preimage` rows images it lost. Every fact row depends only on its own
source row and on lookups (its order, the customer version valid at the order time, product
and partner membership, the rate valid on its date), so a fact's date needs recomputing only
when its source row changed (old and new date) or one of its lookups changed. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

CHANGE_TYPE = "_change_type"
GAINED = ("insert", "update_postimage")
LOST = ("delete", "update_preimage")
_NET = "_net"


def changed_values(changes: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """The distinct non-null values of `column` in every image, old and new (one column)."""
    return changes.select(column).drop_nulls().unique()


def net_changed(changes: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """The distinct combinations of `columns` whose number of rows differs between the two
    versions (images gained minus images lost): an update that leaves them as they were, or a
    row removed and added back, cancels out."""
    names = list(columns)
    sign = (
        pl.when(pl.col(CHANGE_TYPE).is_in(GAINED))
        .then(1)
        .when(pl.col(CHANGE_TYPE).is_in(LOST))
        .then(-1)
        .otherwise(0)
    )
    return (
        changes.group_by(names).agg(sign.sum().alias(_NET)).filter(pl.col(_NET) != 0).select(names)
    )


def changed_rate_ranges(fx_changes: pl.LazyFrame, fx_now: pl.LazyFrame) -> pl.LazyFrame:
    """(currency, from_date, until_date): the dates whose rate may differ, per currency.

    A fact takes its currency's latest rate dated on or before its date. When the rates of
    some dates change, the dates from the first changed rate date up to (not including) the
    next unchanged rate date after the last changed one keep or change their rate; all later
    dates take that unchanged rate, the earlier ones an unchanged older rate. `until_date` is
    null when no later rate exists (every later date is affected).
    """
    rate_columns = ["currency", "rate_date", "rate_to_reporting", "reporting_currency"]
    changed = (
        net_changed(fx_changes, rate_columns)
        .group_by("currency")
        .agg(from_date=pl.col("rate_date").min(), last_changed=pl.col("rate_date").max())
    )
    following = (
        fx_now.select("currency", "rate_date")
        .join(changed, on="currency", how="inner")
        .filter(pl.col("rate_date") > pl.col("last_changed"))
        .group_by("currency")
        .agg(until_date=pl.col("rate_date").min())
    )
    return changed.join(following, on="currency", how="left").select(
        "currency", "from_date", "until_date"
    )


def dates_in_rate_ranges(
    facts: pl.LazyFrame, ranges: pl.LazyFrame, date_column: str
) -> pl.LazyFrame:
    """Distinct `date_column` values of `facts` (with `currency`) inside their currency's
    changed rate range (one column, `date_column`)."""
    inside = (pl.col(date_column) >= pl.col("from_date")) & (
        pl.col("until_date").is_null() | (pl.col(date_column) < pl.col("until_date"))
    )
    return (
        facts.select("currency", date_column)
        .join(ranges, on="currency", how="inner")
        .filter(inside)
        .select(date_column)
        .unique()
    )


def changed_customer_windows(dim_changes: pl.LazyFrame) -> pl.LazyFrame:
    """(customer_id, valid_from, valid_to, version) of the dim_customer versions gained or
    lost. An order's customer key can change only if the version valid at its time is one
    of them, before or after (type 1 attributes never move a key)."""
    window = ["customer_id", "customer_key", "version", "valid_from", "valid_to"]
    return net_changed(dim_changes, window).select(
        "customer_id", "valid_from", "valid_to", "version"
    )


def orders_in_windows(
    orders: pl.LazyFrame, windows: pl.LazyFrame, keep: Sequence[str] = ("order_date",)
) -> pl.LazyFrame:
    """Distinct `keep` columns (default `order_date`) of `orders` whose `created_at` falls in
    a changed version window of their customer (version 1 also covers times before it:
    customer_keys_at gives it to orders stamped before registration)."""
    at = pl.col("created_at")
    inside = ((at >= pl.col("valid_from")) | (pl.col("version") == 1)) & (at < pl.col("valid_to"))
    names = list(keep)
    return (
        orders.select("customer_id", "created_at", *names)
        .join(windows, on="customer_id", how="inner")
        .filter(inside)
        .select(names)
        .unique()
    )


def union_dates(parts: Sequence[pl.LazyFrame], column: str) -> pl.LazyFrame:
    """The distinct dates of several one-column frames, named `column`."""
    renamed = [
        part.select(pl.col(part.collect_schema().names()[0]).alias(column)) for part in parts
    ]
    return pl.concat(renamed).drop_nulls().unique()


def orders_of(lines: pl.DataFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """The orders of `lines` (a semi-join on order_id), read only from the order ids' range:
    silver orders are clustered by order_id, issued in time order, so the range filter skips
    the files of the history before a few days' orders (the same rows either way)."""
    ids = lines.get_column("order_id")
    low, high = ids.min(), ids.max()
    if low is None:  # no line carries an order id: no order is theirs
        return orders.clear()
    within = pl.col("order_id").is_between(pl.lit(low), pl.lit(high))
    return orders.filter(within).join(lines.lazy().select("order_id"), on="order_id", how="semi")
