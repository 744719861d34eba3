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

dim_customer and dim_date are inputs for their versions only: a customer key always means the
same customer (customer_id and version; a version removed from dim_customer moves its facts to
another key, which the facts' change feed shows) and dim_date spans every fact date, so a
change of theirs alone changes no mart row (the affected set is then empty and nothing is
committed). dim_customer's changes still name the customer of a fact pre-image pointing at a
version gone from the dimension.
"""

from __future__ import annotations

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
from retail_platform.transforms.gold.kpis import build_kpi_daily
from retail_platform.transforms.gold.marts_incremental import (
    kpi_affected_dates,
    kpi_daily_for_dates,
)
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform.transforms.gold.retention_incremental import (
    retention_affected_cohorts,
    retention_affected_months,
    retention_for_cohorts,
)

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
    affected = kpi_affected_dates(
        plan.changes("fact_order_lines", _LINE_CHANGES),
        plan.changes("fact_payments", ["date_key"]),
        facts,
        payments,
        customers,
        calendar,
        _published(lake, "kpi_daily"),
        customer_changes=_customer_changes(plan),
    )
    dates = affected.collect(engine="streaming").get_column("date_key").to_list()
    if not dates:
        return plan.unchanged("date_key")
    rows = kpi_daily_for_dates(dates, facts, payments, customers, calendar)
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
    changes, customer_changes = (
        plan.changes("fact_order_lines", _LINE_CHANGES),
        _customer_changes(plan),
    )
    cohorts, months = pl.collect_all(
        [
            retention_affected_cohorts(
                changes, facts, customers, published, customer_changes=customer_changes
            ),
            retention_affected_months(changes, facts, customers, customer_changes=customer_changes),
        ],
        engine="streaming",
    )
    if cohorts.is_empty():
        return plan.unchanged("cohort_month")
    activity_months = months.get_column("activity_month").to_list()
    rows = retention_for_cohorts(cohorts, activity_months, facts, customers, published)
    # A cohort left without customers gets no row: the overwrite deletes its rows.
    values = cohorts.get_column("cohort_month").to_list()
    return plan.slice(rows.collect(engine="streaming"), "cohort_month", values)


def kpi_daily_after(lake: LakeResource, piece: GoldSlice) -> pl.DataFrame:
    """kpi_daily as it will be once ``piece`` (a slice of dates) is published."""
    kept = _published(lake, "kpi_daily").filter(pl.col("date_key").is_in(list(piece.values)).not_())
    return pl.concat([kept.collect(), piece.rows]) if piece.rows.height else kept.collect()
