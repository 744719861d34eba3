"""Incremental gold marts: kpi_daily by date and fact_customer_retention by cohort month
(assets/gold/increment.py has the plan and the publish; transforms/gold/marts_incremental.py
and retention_incremental.py work out the affected values and their rows).

Both read the change data feed of the order facts since the version they consumed last:

- kpi_daily recomputes the dates of changed order and payment facts (before and after), the
  old and the new first day of each customer whose first day moved, and the days entering or
  leaving the KPI range;
- fact_customer_retention replaces the old and the new cohort of each customer a changed
  fact names, recomputing only the months the changes touch; when the last month moves, the
  other cohorts are cut or padded with zero rows from their published rows (the whole table
  is rewritten then: it is cohorts x months, small, and no fact is read for those cohorts).

Both read the facts' changes, dim_customer's keys and the current facts of the customers the
changes name once (`_touched`). A slice reads every fact of those customers, so past
`rebuild_above_share` of the customers named (the facts over `guard_min_rows` rows) both marts
build whole instead (`_customers_too_wide`, reason in the metadata).

dim_customer and dim_date are inputs for their versions only: a customer key always means the
same customer (customer_id and version; a version removed from dim_customer moves its facts to
another key, which the facts' change feed shows) and dim_date spans every fact date, so a
change of theirs alone changes no mart row (the affected set is then empty and nothing is
committed). dim_customer's changes still name the customer of a fact pre-image pointing at a
version gone from the dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.marts_incremental import (
    active_range,
    customer_ids,
    kpi_affected_dates,
    kpi_daily_for_dates,
)
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform.transforms.gold.retention_incremental import (
    last_month_of,
    retention_affected_cohorts,
    retention_affected_months,
    retention_for_cohorts,
)
from retail_platform.transforms.keys import date_key_of

ORDER_FACTS = GoldInput("gold", "fact_order_lines")
# Small: even a whole rewrite of these dimensions is read as changes (see the docstring).
CUSTOMERS = GoldInput("gold", "dim_customer", small=True)
KPI_INPUTS = (
    ORDER_FACTS,
    GoldInput("gold", "fact_payments"),
    CUSTOMERS,
    GoldInput("gold", "dim_date", small=True),
)
RETENTION_INPUTS = (ORDER_FACTS, CUSTOMERS)
_LINE_CHANGES = ["order_line_key", "date_key", "customer_key", "status"]


def _customer_changes(plan: GoldPlan) -> pl.LazyFrame:
    return plan.changes("dim_customer", ["customer_key", "customer_id"])


@dataclass(frozen=True)
class _Touched:
    """What an incremental mart run reads once and shares (each piece collected once): the
    facts' changes, dim_customer's keys and their changes, and the current fact rows of the
    customers the changes name (read with their keys pushed into the scan, instead of joining
    the whole facts' columns in every step). `wide`: why a full build is cheaper ('' if not;
    then `facts` was not read)."""

    changes: pl.LazyFrame
    customers: pl.LazyFrame
    customer_changes: pl.LazyFrame
    facts: pl.LazyFrame
    wide: str


def _touched(plan: GoldPlan) -> _Touched:
    changes = plan.changes("fact_order_lines", _LINE_CHANGES).collect()
    customers = plan.scan("dim_customer").select("customer_key", "customer_id").collect()
    customer_changes = _customer_changes(plan).collect()
    ids = pl.concat([customer_ids(customers.lazy()), customer_ids(customer_changes.lazy())])
    named = changes.lazy().join(ids.unique(), on="customer_key").select("customer_id").unique()
    keys = customer_ids(customers.lazy()).join(named, on="customer_id", how="semi").collect()
    facts = plan.scan("fact_order_lines")
    wide = _customers_too_wide(plan, keys, customers, facts)
    if not wide:
        facts = facts.filter(
            pl.col("customer_key").is_in(keys.get_column("customer_key").implode())
        )
    rows = facts.select(_LINE_CHANGES).head(0) if wide else facts.select(_LINE_CHANGES)
    return _Touched(
        changes.lazy(), customers.lazy(), customer_changes.lazy(), rows.collect().lazy(), wide
    )


def _customers_too_wide(
    plan: GoldPlan, named: pl.DataFrame, customers: pl.DataFrame, facts: pl.LazyFrame
) -> str:
    """The marts' cost guard. A slice of either mart reads every fact row of each customer
    the changes name (their first days before and after), so its cost follows the share of
    customers named, not of dates or cohorts: past `rebuild_share` of the customers (late
    updates spread over weeks name most of them) a full build, which reads the facts once,
    is cheaper. The guard counts against the facts' rows (`guard_min_rows`), since the marts
    themselves are small (a row a day, cohorts x months)."""
    run = plan.run
    if run is None or run.rebuild_share is None:
        return ""
    total = customers.filter(pl.col("customer_key") != UNKNOWN_KEY)["customer_id"].n_unique()
    count = named.get_column("customer_id").n_unique()
    if count <= run.rebuild_share * total:  # cheap test first: no count of the facts' rows
        return ""
    wide = plan.too_wide(count, total, facts.select(pl.len()).collect().item())
    return f"customers named by gold.fact_order_lines changes: {wide}" if wide else ""


def _last_month(
    facts: pl.LazyFrame, customers: pl.LazyFrame, published: pl.LazyFrame
) -> pl.LazyFrame:
    """``last_month_of`` the facts, reading the facts from the published last month on (the
    facts are clustered by date_key, so the date predicate skips the older files); the whole
    date column only when no fact is left from that month on (the last month went back)."""
    was_last = published.select(pl.col("activity_month").max()).collect().item()
    if isinstance(was_last, date):
        found = last_month_of(facts.filter(pl.col("date_key") >= date_key_of(was_last)), customers)
        last = found.collect()
        if last.item() is not None:
            return last.lazy()
    return last_month_of(facts, customers).collect().lazy()


def _span(facts: pl.LazyFrame, payments: pl.LazyFrame, published: pl.LazyFrame) -> pl.LazyFrame:
    """``active_range`` of the facts, reading only the dates outside the published KPI range
    and on its bounds (pruned by the facts' date clustering); the whole date columns only when
    a bound moved inward (no fact left on or beyond it)."""
    was = published.select(first=pl.col("date_key").min(), last=pl.col("date_key").max())
    first, last = was.collect().row(0)
    if first is not None and last is not None:
        outside = (pl.col("date_key") <= first) | (pl.col("date_key") >= last)
        found = active_range(facts.filter(outside), payments.filter(outside)).collect()
        now_first, now_last = found.row(0)
        if now_first is not None and now_first <= first and now_last >= last:
            return found.lazy()
    return active_range(facts, payments).collect().lazy()


def _published(lake: LakeResource, table: str) -> pl.LazyFrame:
    """The mart as published (an incremental plan guarantees it exists, in its contract)."""
    return lake.scan("gold", table)


def refresh_kpi_daily(lake: LakeResource, run: GoldRun) -> GoldSlice:
    plan = plan_gold(lake, gold.KPI_DAILY, KPI_INPUTS, run)
    facts, payments = plan.scan("fact_order_lines"), plan.scan("fact_payments")
    customers, calendar = plan.scan("dim_customer"), plan.scan("dim_date")
    if plan.mode == FULL:
        rows = build_kpi_daily(facts, payments, customers, calendar)
        return plan.full(rows.collect(engine="streaming"))
    if plan.mode == UNCHANGED:
        return plan.unchanged("date_key")
    touched, published = _touched(plan), _published(lake, "kpi_daily")
    if touched.wide:
        rows = build_kpi_daily(facts, payments, customers, calendar)
        return plan.rebuilt(touched.wide).full(rows.collect(engine="streaming"))
    span = _span(facts, payments, published)
    affected = kpi_affected_dates(
        touched.changes,
        plan.changes("fact_payments", ["date_key"]),
        touched.facts,
        payments,
        touched.customers,
        calendar,
        published,
        customer_changes=touched.customer_changes,
        span=span,
    )
    dates = affected.collect().get_column("date_key").to_list()
    if not dates:
        return plan.unchanged("date_key")
    rows = kpi_daily_for_dates(dates, facts, payments, touched.customers, calendar, span=span)
    # A date may get no row (it left the KPI range): the overwrite then deletes its row.
    return plan.slice(rows.collect(engine="streaming"), "date_key", dates)


def refresh_fact_customer_retention(lake: LakeResource, run: GoldRun) -> GoldSlice:
    plan = plan_gold(lake, gold.FACT_CUSTOMER_RETENTION, RETENTION_INPUTS, run)
    facts, customers = plan.scan("fact_order_lines"), plan.scan("dim_customer")
    if plan.mode == FULL:
        rows = build_fact_customer_retention(facts, customers)
        return plan.full(rows.collect(engine="streaming"))
    if plan.mode == UNCHANGED:
        return plan.unchanged("cohort_month")
    published = _published(lake, "fact_customer_retention")
    touched = _touched(plan)
    if touched.wide:
        rows = build_fact_customer_retention(facts, customers)
        return plan.rebuilt(touched.wide).full(rows.collect(engine="streaming"))
    last = _last_month(facts, touched.customers, published)
    cohorts, months = pl.collect_all(
        [
            retention_affected_cohorts(
                touched.changes,
                touched.facts,
                touched.customers,
                published,
                customer_changes=touched.customer_changes,
                last=last,
            ),
            retention_affected_months(
                touched.changes,
                touched.facts,
                touched.customers,
                customer_changes=touched.customer_changes,
            ),
        ]
    )
    if cohorts.is_empty():
        return plan.unchanged("cohort_month")
    activity_months = months.get_column("activity_month").to_list()
    rows = retention_for_cohorts(
        cohorts, activity_months, facts, touched.customers, published, last=last
    )
    # A cohort left without customers gets no row: the overwrite deletes its rows.
    values = cohorts.get_column("cohort_month").to_list()
    return plan.slice(rows.collect(engine="streaming"), "cohort_month", values)


def kpi_daily_after(lake: LakeResource, piece: GoldSlice) -> pl.DataFrame:
    """kpi_daily as it will be once ``piece`` (a slice of dates) is published."""
    kept = _published(lake, "kpi_daily").filter(pl.col("date_key").is_in(list(piece.values)).not_())
    return pl.concat([kept.collect(), piece.rows]) if piece.rows.height else kept.collect()
