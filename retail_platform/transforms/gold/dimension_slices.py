"""Incremental dimensions: the rows of a dimension for the natural keys that changed.

Each function returns a *slice*: every row the full build would hold for a set of natural
keys (values of one column), computed from only those keys' input rows. Publishing the slice
(replace the rows carrying those values, keep the others) leaves the dimension equal to the
full build, because every dimension row depends only on its own key's inputs:

- dim_customer (SCD2): a customer's versions depend on its silver row, its orders (the first
  order date) and its own previous versions. The changed customers are those in silver
  customers' change feed plus those whose first order date the orders' changes move
  (``first_order_moves``: judged from a few columns of the changed orders and the published
  first order dates; an order of a later day, or a late status update of an earning order
  that stays earning on its day, moves nothing).
- dim_product / dim_partner: one row per silver row; a removed product's slice is empty, so
  publishing it deletes the row.
- The unknown members are never in a slice (their natural key is excluded), so they stay.

dim_date is a calendar over a span (``dates_span`` of the inputs' dates): see
``dim_date_slice``.
All functions are pure (LazyFrame in and out, or plain values); the assets do the I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from retail_platform.transforms.gold.customers import CANCELLED, build_dim_customer
from retail_platform.transforms.gold.dimensions import (
    UNKNOWN_ID,
    build_dim_date,
    build_dim_partner,
    build_dim_product,
)
from retail_platform.transforms.keys import date_key_of

# The change types of a Delta change data feed that describe a row as it was before.
REMOVED = ("delete", "update_preimage")


def changed_keys(column: str, *changes: pl.LazyFrame | None) -> pl.LazyFrame:
    """The distinct non-null values of ``column`` over change feeds (every change type: a
    pre-image names the key as it was, a post-image as it is), the unknown member's id excluded."""
    frames = [c.select(pl.col(column).cast(pl.String)) for c in changes if c is not None]
    if not frames:
        return pl.LazyFrame(schema={column: pl.String})
    return (
        pl.concat(frames)
        .filter(pl.col(column).is_not_null() & (pl.col(column) != UNKNOWN_ID))
        .unique()
        .sort(column)
    )


def first_order_moves(order_changes: pl.LazyFrame, published: pl.LazyFrame) -> pl.LazyFrame:
    """The ``customer_id`` of every published customer whose first order date the orders'
    changes may move (one column, distinct).

    ``order_changes``: a change feed of silver orders with ``order_id``, ``customer_id``,
    ``order_date``, ``status`` and ``_change_type``; ``published``: dim_customer's
    ``customer_id`` and ``first_order_date`` (the earliest date of a non-cancelled order at the
    version the feed starts from). Each order image is reduced to (order, customer, date,
    earning); summing +1 per image gained and -1 per image lost leaves the images the table
    gained or lost over the whole range (intermediate states and updates that leave the four
    values alone cancel out). A customer's first date F moves only when:

    - an earning image with a date before F (or any, when F is null) was gained: a new minimum;
    - an earning image dated F was lost, and no earning image dated F was gained (otherwise F
      is still the minimum: nothing earlier was gained). A loss on F is only a candidate (other
      orders may share F); recomputing an unchanged customer gives the same rows.

    Customers without a published row are not named: a new customer is in the customers' feed,
    and an order of a customer that is not in silver customers makes no dimension row.
    """
    sign = pl.when(pl.col("_change_type").is_in(REMOVED)).then(-1).otherwise(1)
    # The same rule as first_order_dates: a null status does not count either.
    earning = (pl.col("status") != CANCELLED).fill_null(False)
    images = (
        order_changes.filter(pl.col("customer_id").is_not_null())
        .select(
            "order_id",
            pl.col("customer_id").cast(pl.String),
            "order_date",
            earning.alias("earning"),
            sign.alias("_sign"),
        )
        .group_by("order_id", "customer_id", "order_date", "earning")
        .agg(pl.col("_sign").sum())
        .filter((pl.col("_sign") != 0) & pl.col("earning"))
    )
    first = published.select(pl.col("customer_id").cast(pl.String), "first_order_date").unique(
        "customer_id"
    )
    gained, on_first = pl.col("_sign") > 0, pl.col("order_date") == pl.col("first_order_date")
    before_first = pl.col("order_date") < pl.col("first_order_date")
    earlier = gained & (pl.col("first_order_date").is_null() | before_first)
    return (
        images.join(first, on="customer_id", how="inner")
        .group_by("customer_id")
        .agg(
            earlier=earlier.any(),
            lost_first=(~gained & on_first).any(),
            kept_first=(gained & on_first).any(),
        )
        .filter(pl.col("earlier") | (pl.col("lost_first") & ~pl.col("kept_first")))
        .select("customer_id")
    )


def _known(keys: Collection[str]) -> list[str]:
    return sorted({key for key in keys if key != UNKNOWN_ID})


def dim_customer_slice(
    customer_ids: Collection[str],
    customers: pl.LazyFrame,
    orders: pl.LazyFrame,
    previous: pl.LazyFrame | None,
) -> pl.LazyFrame:
    """dim_customer's rows for ``customer_ids``: build_dim_customer on those customers' silver
    rows, orders and previous versions only (the filters push down into the scans)."""
    wanted = _known(customer_ids)
    of_wanted = pl.col("customer_id").is_in(wanted)
    before = previous.filter(of_wanted) if previous is not None else None
    dim = build_dim_customer(customers.filter(of_wanted), orders.filter(of_wanted), before)
    return dim.filter(of_wanted)  # drops the rebuilt unknown member: it stays as published


def dim_product_slice(product_ids: Collection[str], products: pl.LazyFrame) -> pl.LazyFrame:
    """dim_product's rows for ``product_ids`` (none for a product gone from silver)."""
    of_wanted = pl.col("product_id").is_in(_known(product_ids))
    return build_dim_product(products.filter(of_wanted)).filter(of_wanted)


def dim_partner_slice(partner_ids: Collection[str], partners: pl.LazyFrame) -> pl.LazyFrame:
    """dim_partner's rows for ``partner_ids`` (none for a partner gone from silver)."""
    of_wanted = pl.col("partner_id").is_in(_known(partner_ids))
    return build_dim_partner(partners.filter(of_wanted)).filter(of_wanted)


@dataclass(frozen=True)
class DateSpan:
    """First and last day of the calendar, inclusive."""

    first: date
    last: date

    def days(self) -> set[date]:
        return {self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)}


def dates_span(dates: pl.LazyFrame) -> pl.LazyFrame:
    """One row ``first``, ``last`` of a frame's ``date`` column (nulls when it is empty)."""
    return dates.select(first=pl.col("date").min(), last=pl.col("date").max())


@dataclass(frozen=True)
class DateSlice:
    """dim_date's rows to publish for ``date_keys``: the days entering the span (rows) and the
    days leaving it (keys without rows, so publishing deletes them)."""

    rows: pl.LazyFrame
    date_keys: list[int]


def dim_date_slice(old: DateSpan, new: DateSpan) -> DateSlice:
    """The slice turning the calendar over ``old`` into the calendar over ``new``.

    Days in both keep their rows (a calendar row depends on its day only); an unchanged span
    gives an empty slice. The calendar is small (366 rows a year), so the set arithmetic on
    days is cheap at any history length.
    """
    before, after = old.days(), new.days()
    entering = sorted(after - before)
    keys = sorted(date_key_of(day) for day in before ^ after)
    if not entering:
        rows = build_dim_date(new.first, new.first).filter(pl.lit(False))
    else:
        rows = build_dim_date(entering[0], entering[-1]).filter(
            pl.col("date_key").is_in([date_key_of(day) for day in entering])
        )
    return DateSlice(rows=rows, date_keys=keys)
