"""Incremental gold marts: kpi_daily by date and fact_customer_retention by cohort month
(assets/gold/increment.py has the plan and the publish; transforms/gold/marts_incremental.py
and retention_incremental.py work out the affected values and their rows).

Both read the change data feed of the order facts since the version they consumed last:

- kpi_daily recomputes the dates of changed order and payment facts (before and after), the
  old and the new first day of each customer whose first day moved, and the days entering or
  leaving the KPI range;
- fact_customer_retention replaces the old and the new cohort of each customer the changes
  alter; when the last month moves, the other cohorts are cut or padded with zero rows
  from their published rows (the whole table is rewritten then: it is cohorts x months,
  small).

Both read the facts' changes, dim_customer's keys of the customers they name and the mart's
customer state once (`_touched`), keeping the state rows of the customers whose counted lines
or revenue the changes alter. The state (assets/gold/customer_state.py,
transforms/gold/customer_days.py) holds each customer's counted order lines and revenue per
day, advanced by the same change feed. A slice reads no day's or month's facts: its rows are
the published rows plus what changed.
kpi_daily's revenue and orders add the changed lines' (the facts are read only for the
(order, day) pairs whose counting the changes cannot settle, e.g. a new order: its day's
files), new and returning customers add the touched customers' state rows now and subtract
them before, the payment rates of a day with changed payments come from that day's payments.
Retention's cells likewise from the touched customers' state rows before and now, its sizes
from their cohort moves; its last month is the state's last day, read from the state's rows
since the published last month. A full build computes the customer days once, builds the
mart from them and replaces the state with them.

The facts' changes are read (and netted) on the columns a mart row depends on only
(`_LINE_CHANGES`): a change elsewhere in a fact row changes no mart. The marts plan without
`plan_gold`'s guard on the share of changed fact rows (it reads every column of the feed) and
guard on the slice's size instead: past `rebuild_above_share` of the published KPI days
(retention: activity months) affected, a full build (`_too_wide`, reason in the metadata).

dim_customer and dim_date are inputs for their versions only: a customer key always means the
same customer (customer_id and version; a version removed from dim_customer moves its facts to
another key, which the facts' change feed shows) and dim_date spans every fact date, so a
change of theirs alone changes no mart row (the affected set is then empty and nothing is
committed). dim_customer's changes still name the customer of a fact pre-image pointing at a
version gone from the dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from retail_platform.assets.gold.customer_state import FactChanges, current_state, keep_state
from retail_platform.assets.gold.increment import (
    FULL,
    UNCHANGED,
    ChangesUnreadableError,
    GoldInput,
    GoldPlan,
    GoldRun,
    GoldSlice,
    plan_gold,
)
from retail_platform.contracts import gold
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.customer_days import (
    History,
    history_of,
    key_ids,
    state_deltas,
)
from retail_platform.transforms.gold.kpis import build_kpi_daily, customer_order_days
from retail_platform.transforms.gold.marts_incremental import (
    active_range,
    ambiguous_orders,
    counted_lines,
    kpi_affected_dates,
    kpi_daily_for_dates,
)
from retail_platform.transforms.gold.retention import build_fact_customer_retention
from retail_platform.transforms.gold.retention_incremental import (
    last_month_of,
    last_month_since,
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
# Every column of the facts a mart row depends on: a change in no other column changes a mart,
# so the change feed is read (and netted) on these only (`_changes`).
_LINE_CHANGES = [
    "order_line_key",
    "order_id",
    "date_key",
    "customer_key",
    "status",
    "net_amount_reporting",
]
_PAYMENT_CHANGES = ["payment_key", "date_key", "status"]


def _changes(plan: GoldPlan, table: str, columns: list[str]) -> pl.LazyFrame:
    """The input's net changes between its consumed and planned versions, read and netted on
    ``columns`` only (resources/lake_changes.py): the marts depend on no other column, and the
    change files' other columns are most of their bytes."""
    position = plan.position(table)
    found = None
    if position.since is not None:
        found = plan.lake.changes(
            position.layer, position.table, position.since, position.now, columns, True
        )
    if found is None:
        raise ChangesUnreadableError(
            f"{position.layer}.{position.table} changes since version {position.since} unreadable"
        )
    return found


def _customer_changes(plan: GoldPlan) -> pl.LazyFrame:
    return _changes(plan, "dim_customer", ["customer_key", "customer_id"])


@dataclass(frozen=True)
class _Touched:
    """What an incremental mart run reads once and shares (each piece collected once): the
    facts' changes, dim_customer's keys and their changes, and the mart's customer state at
    the facts' planned version (assets/gold/customer_state.py)."""

    changes: pl.LazyFrame
    customers: pl.LazyFrame
    """dim_customer's customer_key and customer_id, of the keys the changes name only."""
    customer_changes: pl.LazyFrame
    state: pl.LazyFrame
    history: History
    """``state_history`` of the changes, for the customers whose state rows they alter: those
    rows before and now."""


def _touched(lake: LakeResource, plan: GoldPlan, mart: str) -> _Touched:
    changes = _changes(plan, "fact_order_lines", _LINE_CHANGES).collect()
    # Only the keys the changes name are resolved (a key always means the same customer).
    keys = changes.get_column("customer_key").unique().implode()
    customers = (
        plan.scan("dim_customer")
        .select("customer_key", "customer_id")
        .filter(pl.col("customer_key").is_in(keys))
        .collect()
    )
    customer_changes = _customer_changes(plan).collect()
    ids = key_ids(customers.lazy(), customer_changes.lazy()).collect()
    deltas = state_deltas(changes.lazy(), ids.lazy()).collect()
    known = FactChanges(
        plan.position("fact_order_lines").since,
        changes,
        plan.position("dim_customer").since,
        customer_changes,
        ids,
        deltas,
    )
    # Only customers whose state the changes alter: the others (a status change between
    # counted statuses, say) give every mart row the same figures before and after.
    touched = deltas.select("customer_id").unique()
    # One read of the state for its advance and the touched customers' rows.
    state = current_state(lake, plan, mart, touched.get_column("customer_id"), known)
    if state.before is not None:  # the state advanced over the mart's own changes
        history = (touched.lazy(), state.before.lazy(), state.rows.lazy())
    else:
        _, before, now = pl.collect_all(
            history_of(changes.lazy(), touched.lazy(), state.rows.lazy(), ids.lazy())
        )
        history = (touched.lazy(), before.lazy(), now.lazy())
    return _Touched(
        changes.lazy(), customers.lazy(), customer_changes.lazy(), state.stored, history
    )


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


def _last_month(state: pl.LazyFrame, published: pl.LazyFrame) -> pl.LazyFrame:
    """``last_month_of`` the state, reading only its rows from the published last month on;
    the whole state only when no counted day is left there (the last month moved back)."""
    was = published.select(pl.col("activity_month").max()).collect().item()
    if was is not None:
        found = last_month_since(state, was).collect()
        if found.item() is not None:
            return found.lazy()
    return last_month_of(state).collect().lazy()


def _published(lake: LakeResource, table: str) -> pl.LazyFrame:
    """The mart as published (an incremental plan guarantees it exists, in its contract)."""
    return lake.scan("gold", table)


def _unguarded(run: GoldRun) -> GoldRun:
    """The run as the marts plan it: without `plan_gold`'s guard on the share of changed fact
    rows (it reads the whole feed of every column to count them). A mart slice reads the facts
    of its affected dates or months, so the marts guard on those instead (`_too_wide`)."""
    return replace(run, rebuild_share=None)


def _too_wide(run: GoldRun, plan: GoldPlan, affected: int, total: int, what: str) -> str:
    """Why a full build is cheaper than a slice of ``affected`` of ``total`` dates or months
    (each read as that much of the facts), or '' (facts under `guard_min_rows`: no guard)."""
    share = run.rebuild_share
    if share is None or total <= 0 or affected <= share * total:
        return ""
    if plan.scan("fact_order_lines").select(pl.len()).collect().item() < run.guard_min_rows:
        return ""
    return (
        f"the changes affect {affected} of {total} {what} ({affected / total:.0%}, over "
        f"{share:.0%}): a full build is cheaper"
    )


def _full_kpi(lake: LakeResource, plan: GoldPlan) -> GoldSlice:
    facts, payments = plan.scan("fact_order_lines"), plan.scan("fact_payments")
    customers, calendar = plan.scan("dim_customer"), plan.scan("dim_date")
    days = _days(lake, plan, "kpi_daily")
    rows = build_kpi_daily(facts, payments, customers, calendar, days=days)
    return plan.full(rows.collect(engine="streaming"))


def refresh_kpi_daily(lake: LakeResource, run: GoldRun) -> GoldSlice:
    plan = plan_gold(lake, gold.KPI_DAILY, KPI_INPUTS, _unguarded(run))
    facts, payments = plan.scan("fact_order_lines"), plan.scan("fact_payments")
    calendar = plan.scan("dim_date")
    if plan.mode == FULL:
        return _full_kpi(lake, plan)
    if plan.mode == UNCHANGED:
        return plan.unchanged("date_key")
    touched, published = _touched(lake, plan, "kpi_daily"), _published(lake, "kpi_daily")
    span = _span(facts, payments, published)
    payment_changes = _changes(plan, "fact_payments", _PAYMENT_CHANGES).collect().lazy()
    affected = kpi_affected_dates(
        touched.changes,
        payment_changes,
        facts,
        payments,
        touched.customers,
        calendar,
        published,
        touched.state,
        customer_changes=touched.customer_changes,
        span=span,
        history=touched.history,
    )
    dates = affected.collect().get_column("date_key").to_list()
    if not dates:
        return plan.unchanged("date_key")
    days = published.select(pl.len()).collect().item()
    wide = _too_wide(run, plan, len(dates), days, "KPI days")
    if wide:
        return _full_kpi(lake, plan.rebuilt(wide))
    # Only the (order, day) pairs whose counting the changes alone cannot tell are read.
    counted = counted_lines(facts, ambiguous_orders(touched.changes).collect())
    rows = kpi_daily_for_dates(
        dates,
        touched.changes,
        payment_changes,
        counted,
        payments,
        published,
        touched.history,
        calendar,
        span,
    )
    # A date may get no row (it left the KPI range): the overwrite then deletes its row.
    return plan.slice(rows.collect(engine="streaming"), "date_key", dates)


def _full_retention(lake: LakeResource, plan: GoldPlan) -> GoldSlice:
    facts, customers = plan.scan("fact_order_lines"), plan.scan("dim_customer")
    days = _days(lake, plan, "fact_customer_retention")
    rows = build_fact_customer_retention(facts, customers, days=days)
    return plan.full(rows.collect(engine="streaming"))


def refresh_fact_customer_retention(lake: LakeResource, run: GoldRun) -> GoldSlice:
    plan = plan_gold(lake, gold.FACT_CUSTOMER_RETENTION, RETENTION_INPUTS, _unguarded(run))
    if plan.mode == FULL:
        return _full_retention(lake, plan)
    if plan.mode == UNCHANGED:
        return plan.unchanged("cohort_month")
    published = _published(lake, "fact_customer_retention")
    touched = _touched(lake, plan, "fact_customer_retention")
    last = _last_month(touched.state, published)
    cohorts, months = pl.collect_all(
        [
            retention_affected_cohorts(
                touched.changes,
                touched.state,
                touched.customers,
                published,
                customer_changes=touched.customer_changes,
                last=last,
                history=touched.history,
            ),
            retention_affected_months(
                touched.changes,
                touched.state,
                touched.customers,
                customer_changes=touched.customer_changes,
                history=touched.history,
            ),
        ]
    )
    if cohorts.is_empty():
        return plan.unchanged("cohort_month")
    activity_months = months.get_column("activity_month").to_list()
    all_months = published.select(pl.col("activity_month").n_unique()).collect().item()
    wide = _too_wide(run, plan, len(activity_months), all_months, "activity months")
    if wide:
        return _full_retention(lake, plan.rebuilt(wide))
    rows = retention_for_cohorts(cohorts, published, touched.history, last)
    # A cohort left without customers gets no row: the overwrite deletes its rows.
    values = cohorts.get_column("cohort_month").to_list()
    return plan.slice(rows.collect(engine="streaming"), "cohort_month", values)


def _days(lake: LakeResource, plan: GoldPlan, mart: str) -> pl.LazyFrame:
    """A full build's customer_order_days, computed once: the mart is built from them and
    the mart's customer state is replaced by them (assets/gold/customer_state.py)."""
    days = customer_order_days(plan.scan("fact_order_lines"), plan.scan("dim_customer"))
    found = days.collect(engine="streaming")
    keep_state(lake, plan, mart, found)
    return found.lazy()


def kpi_daily_after(lake: LakeResource, piece: GoldSlice) -> pl.DataFrame:
    """kpi_daily as it will be once ``piece`` (a slice of dates) is published."""
    kept = _published(lake, "kpi_daily").filter(pl.col("date_key").is_in(list(piece.values)).not_())
    return pl.concat([kept.collect(), piece.rows]) if piece.rows.height else kept.collect()
