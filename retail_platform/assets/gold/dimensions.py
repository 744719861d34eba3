"""Incremental gold dimensions: what the dim_* assets of star.py publish on each run.

Each function plans the run (assets/gold/increment.py: full, incremental or unchanged, and
why), reads its inputs at the planned versions and returns the `GoldSlice` the gold IO manager
audits and commits (transforms/gold/dimension_slices.py computes the slices):

- dim_customer: the SCD2 versions of the changed customers only: those in silver customers'
  change feed, and those whose first order date silver orders' changes move (judged from four
  narrow columns of the changed orders against the published first order dates). Slice
  column `customer_id`.
- dim_product / dim_partner: the rows of the changed natural keys (`product_id`, `partner_id`);
  a key gone from silver has no row, so the commit deletes it. The unknown member is never in a
  slice and stays.
- dim_date: the span of the fact dates (silver orders, payments, partner sales), read as the
  full build reads it (a min/max of one date column per input), not from their change feeds:
  that costs less than reading three feeds and the plan's checks on them (SF1, a year:
  0.01 s against 0.07 s), and the slice is what is cheap here. Dates changing inside the span
  change nothing (an empty slice, no commit); a span that widens adds the new days, one that
  narrows deletes the days that fell out. Slice column `date_key`.

A full build (first run, contract change, `full_refresh`, unreadable change feed) rebuilds the
whole table from the inputs, as before incremental gold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from retail_platform.assets.gold.increment import (
    FULL,
    UNCHANGED,
    GoldInput,
    GoldPlan,
    GoldRun,
    GoldSlice,
    plan_gold,
)
from retail_platform.contracts import gold
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.customers import build_dim_customer
from retail_platform.transforms.gold.dimension_slices import (
    DateSpan,
    changed_keys,
    dates_span,
    dim_customer_slice,
    dim_date_slice,
    dim_partner_slice,
    dim_product_slice,
    first_order_moves,
)
from retail_platform.transforms.gold.dimensions import (
    UNKNOWN_KEY,
    build_dim_date_spanning,
    build_dim_partner,
    build_dim_product,
)

CUSTOMER_INPUTS = (GoldInput("silver", "customers"), GoldInput("silver", "orders"))
# What the orders' changes tell dim_customer (the first order date): a few narrow columns.
ORDER_CHANGE_COLUMNS = ["order_id", "customer_id", "order_date", "status"]
# The facts' date columns: the calendar spans every one of them.
FACT_DATES = {"orders": "order_date", "payments": "payment_date", "partner_sales": "invoice_date"}
# Read whole (their date bounds), never as changes (module docstring).
DATE_INPUTS = tuple(GoldInput("silver", table, read_whole=True) for table in FACT_DATES)


def _ids(values: pl.LazyFrame, column: str) -> list[str]:
    return values.collect().get_column(column).to_list()


def publish_dim_customer(lake: LakeResource, run: GoldRun) -> tuple[GoldSlice, dict[str, object]]:
    """dim_customer's slice and the run's metadata (customers and versions recomputed)."""
    contract, column = gold.DIM_CUSTOMER, "customer_id"
    plan = plan_gold(lake, contract, CUSTOMER_INPUTS, run)
    if plan.mode == UNCHANGED:
        return plan.unchanged(column), {}
    customers, orders = plan.scan("customers"), plan.scan("orders")
    if plan.mode == FULL:
        frame = build_dim_customer(customers, orders, _previous_customers(lake)).collect()
        return plan.full(frame), _customer_counts(frame)
    published = lake.scan("gold", contract.name)
    moved = first_order_moves(
        plan.changes("orders", ORDER_CHANGE_COLUMNS),
        published.select(column, "first_order_date"),
    )
    ids = _ids(changed_keys(column, plan.changes("customers", [column]), moved), column)
    total = customers.select(pl.len()).collect().item()
    wide = plan.too_wide(len(ids), total, total)
    if wide:  # most customers changed: the whole build is cheaper than their slice
        frame = build_dim_customer(customers, orders, _previous_customers(lake)).collect()
        return plan.rebuilt(f"changed customers: {wide}").full(frame), _customer_counts(frame)
    rows = dim_customer_slice(ids, customers, orders, published).collect(engine="streaming")
    # Counts of the slice only: the whole-table counts would need a scan of the history.
    return plan.slice(rows, column, ids), {
        "customers_recomputed": len(ids),
        "versions_recomputed": rows.height,
    }


def _previous_customers(lake: LakeResource) -> pl.LazyFrame | None:
    """The stored history, unless the table is missing or from before a contract change (then
    it cannot be carried forward: the history starts anew)."""
    if not lake.exists("gold", "dim_customer"):
        return None
    stored = lake.scan("gold", "dim_customer")
    if stored.collect_schema() != gold.DIM_CUSTOMER.polars_schema:
        return None
    return stored


def _customer_counts(frame: pl.DataFrame) -> dict[str, object]:
    known = frame.filter(pl.col("customer_key") != UNKNOWN_KEY)
    return {
        "customers": known.filter(pl.col("is_current")).height,
        "versions": frame.height,
        "customers_with_history": known.filter(pl.col("version") > 1)
        .get_column("customer_id")
        .n_unique(),
    }


def _publish_by_key(
    lake: LakeResource,
    run: GoldRun,
    contract: TableContract,
    source: str,
    column: str,
    build: Callable[[pl.LazyFrame], pl.LazyFrame],
    build_slice: Callable[[list[str], pl.LazyFrame], pl.LazyFrame],
) -> GoldSlice:
    plan = plan_gold(lake, contract, (GoldInput("silver", source),), run)
    if plan.mode == UNCHANGED:
        return plan.unchanged(column)
    rows = plan.scan(source)
    if plan.mode == FULL:
        return plan.full(build(rows).collect())
    ids = _ids(changed_keys(column, plan.changes(source, [column])), column)
    return plan.slice(build_slice(ids, rows).collect(), column, ids)


def publish_dim_product(lake: LakeResource, run: GoldRun) -> GoldSlice:
    return _publish_by_key(
        lake, run, gold.DIM_PRODUCT, "products", "product_id", build_dim_product, dim_product_slice
    )


def publish_dim_partner(lake: LakeResource, run: GoldRun) -> GoldSlice:
    return _publish_by_key(
        lake, run, gold.DIM_PARTNER, "partners", "partner_id", build_dim_partner, dim_partner_slice
    )


def _fact_dates(plan: GoldPlan) -> pl.LazyFrame:
    return pl.concat(
        [
            plan.scan(table).select(pl.col(column).alias("date"))
            for table, column in FACT_DATES.items()
        ]
    )


def publish_dim_date(lake: LakeResource, run: GoldRun) -> tuple[GoldSlice, DateSpan]:
    """dim_date's slice and the calendar's span after it."""
    contract = gold.DIM_DATE
    plan = plan_gold(lake, contract, DATE_INPUTS, run)
    if plan.mode == FULL:
        frame = build_dim_date_spanning(_fact_dates(plan)).collect(engine="streaming")
        if frame.is_empty():
            raise ValueError("dim_date: silver orders, payments and partner sales are all empty")
        dates = frame.get_column("date")
        return plan.full(frame), DateSpan(dates.min(), dates.max())  # type: ignore[arg-type]
    current = _published_span(lake)
    if plan.mode == UNCHANGED:
        return plan.unchanged("date_key"), current
    bounds = dates_span(_fact_dates(plan)).collect(engine="streaming").row(0)
    if bounds[0] is None:
        raise ValueError("dim_date: silver orders, payments and partner sales are all empty")
    span = DateSpan(bounds[0], bounds[1])
    piece = dim_date_slice(current, span)
    return plan.slice(piece.rows.collect(), "date_key", piece.date_keys), span


def _published_span(lake: LakeResource) -> DateSpan:
    bounds = (
        lake.scan("gold", "dim_date")
        .select(first=pl.col("date").min(), last=pl.col("date").max())
        .collect()
        .row(0)
    )
    first, last = bounds
    if not isinstance(first, date) or not isinstance(last, date):
        raise ValueError("gold.dim_date is empty: rebuild it with full_refresh")
    return DateSpan(first, last)
