"""The marts' persisted customer state: how many counted order lines each customer has on
each day, so the incremental marts never rescan a customer's fact history.

One row per (customer_id, date_key) with at least one counted line: a line of
gold.fact_order_lines that is not cancelled and whose customer_key is a real customer of
dim_customer (the rule of ``customer_order_days``), with the lines' revenue (the sum of their
net_amount_reporting, to the cent). From it:

- a customer's first order day (kpi_daily's new vs returning) is their smallest date_key, and
  their cohort (fact_customer_retention) its month;
- their activity months are the months of their date_keys, and their revenue in each month
  the sum of those days' revenue (retention's cells follow from a mover's days without
  reading their facts).

Counts, not a bare first day, so the state follows the order facts' net change feed exactly:
a post-image adds one line (and its amount) to its (customer, day), a pre-image removes one
(``state_deltas``). A customer whose first order is cancelled, moved or deleted simply loses
that day's last line, and their next day becomes their first: no fact is read for it. The
state as it was before a range of changes is the state after minus the range's deltas
(``first_days_before_and_now``), so a mart consuming an older range than the state's needs
no other copy.

The stored table may hold several rows of one (customer, day): a night appends its deltas
rather than rewriting the state (``stored_state`` sums them; a count summing to zero is no
row). A negative count, or a change naming a customer_key that neither dim_customer nor its change
feed knows, means the state does not match the facts: ``advance_state`` and
``unresolved_keys`` report it and the caller rebuilds the state from the facts
(``build_customer_days``), never trusting it.
"""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import MONEY
from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY
from retail_platform.transforms.gold.kpis import CANCELLED

CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
BEFORE = ("delete", "update_preimage")
STATE_SCHEMA = pl.Schema(
    {"customer_id": pl.String, "date_key": pl.Int32, "lines": pl.Int64, "revenue": MONEY}
)


def _summed() -> list[pl.Expr]:
    """The state's figures summed over rows of one (customer, day)."""
    return [pl.col("lines").sum(), pl.col("revenue").sum()]


# (touched, before, now) of ``state_history``.
History = tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]


class StateMismatchError(ValueError):
    """The customer state cannot be advanced by these changes: rebuild it from the facts."""


def customer_ids(dim_customer: pl.LazyFrame) -> pl.LazyFrame:
    """customer_key -> customer_id of real customers (the unknown one is nobody)."""
    return (
        dim_customer.select("customer_key", "customer_id")
        .filter(pl.col("customer_key") != UNKNOWN_KEY)
        .unique()
    )


def build_customer_days(fact_order_lines: pl.LazyFrame, dim_customer: pl.LazyFrame) -> pl.LazyFrame:
    """The state from all of the facts (a full build), sorted by customer_id."""
    return (
        fact_order_lines.filter(pl.col("status") != CANCELLED)
        .select("customer_key", "date_key", "net_amount_reporting")
        .join(customer_ids(dim_customer), on="customer_key", how="inner")
        .group_by("customer_id", "date_key")
        .agg(lines=pl.len().cast(pl.Int64), revenue=pl.col("net_amount_reporting").sum())
        .select(pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items())
        .sort("customer_id", "date_key")
    )


def state_from_days(days: pl.LazyFrame) -> pl.LazyFrame:
    """The state from ``customer_order_days`` of all the facts (which carry ``lines`` and
    ``revenue``): the full builds compute those days anyway, so the state costs no second
    scan (nor a sort: readers filter by customer, the table is a few narrow columns)."""
    return days.select(pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items())


def stored_state(stored: pl.LazyFrame) -> pl.LazyFrame:
    """The state from its stored rows: the counts of each (customer, day) summed (a full write
    holds one row each, every night appends its deltas), days without a line left out."""
    return (
        stored.group_by("customer_id", "date_key")
        .agg(_summed())
        .filter(pl.col("lines") > 0)
        .select(pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items())
    )


def key_ids(dim_customer: pl.LazyFrame, customer_changes: pl.LazyFrame | None) -> pl.LazyFrame:
    """customer_key -> customer_id of the current dim_customer and of its change rows (which
    still name a version removed since, so a fact pre-image pointing at it is resolved)."""
    ids = customer_ids(dim_customer)
    if customer_changes is not None:
        ids = pl.concat([ids, customer_ids(customer_changes)]).unique()
    return ids


def unresolved_keys(changed_lines: pl.LazyFrame, ids: pl.LazyFrame) -> pl.LazyFrame:
    """customer_key of changed fact rows (other than the unknown customer) that ``ids`` cannot
    resolve: the state cannot say whose lines they were."""
    return (
        changed_lines.select("customer_key")
        .unique()
        .filter(pl.col("customer_key") != UNKNOWN_KEY)
        .join(ids, on="customer_key", how="anti")
    )


def touched_ids(changed_lines: pl.LazyFrame, ids: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id of every customer a changed fact row names (before or after the change)."""
    return changed_lines.join(ids, on="customer_key", how="inner").select("customer_id").unique()


def state_deltas(changed_lines: pl.LazyFrame, ids: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id, date_key, lines, revenue: the net change of each (customer, day)'s counted
    lines and their revenue over the net change feed (a post-image adds one line and its
    net_amount_reporting, a pre-image removes them; days where both net to zero dropped)."""
    before = pl.col(CHANGE_TYPE).is_in(BEFORE)
    sign = pl.when(before).then(-1).otherwise(1)
    amount = pl.col("net_amount_reporting")
    return (
        changed_lines.filter(pl.col("status") != CANCELLED)
        .join(ids, on="customer_key", how="inner")
        .group_by("customer_id", "date_key")
        .agg(
            lines=sign.sum().cast(pl.Int64),
            revenue=pl.when(before).then(-amount).otherwise(amount).sum(),
        )
        .filter((pl.col("lines") != 0) | (pl.col("revenue") != 0))
        .select(pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items())
    )


def _combined(rows: pl.LazyFrame, deltas: pl.LazyFrame) -> pl.LazyFrame:
    columns = list(STATE_SCHEMA.names())
    return (
        pl.concat([rows.select(columns), deltas.select(columns)])
        .group_by("customer_id", "date_key")
        .agg(_summed())
        .select(pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items())
    )


def advance_state(rows: pl.DataFrame, deltas: pl.DataFrame) -> pl.DataFrame:
    """The new state rows of the customers in ``deltas`` (in no order): ``rows`` (their
    current state rows) plus the deltas, days left without a line dropped. Raises
    StateMismatchError when a day would hold fewer than no lines (the state was not at the
    changes' starting version)."""
    named = deltas.select("customer_id").unique()
    mine = rows.lazy().join(named.lazy(), on="customer_id", how="semi")
    combined = _combined(mine, deltas.lazy()).collect()
    negative = combined.filter(pl.col("lines") < 0)
    if negative.height:
        first = negative.row(0, named=True)
        raise StateMismatchError(
            f"customer state: customer {first['customer_id']} would have {first['lines']} "
            f"lines on {first['date_key']} ({negative.height} such days)"
        )
    # Unsorted: readers group by customer (a sort by a string key cost more than the rest).
    return combined.filter(pl.col("lines") > 0).select(
        pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items()
    )


def state_history(changed_lines: pl.LazyFrame, state: pl.LazyFrame, ids: pl.LazyFrame) -> History:
    """(touched, before, now): the customers the changes name, and their state rows before the
    changes (now minus the deltas) and now. ``state``: the stored rows of the state after the
    changes (``stored_state``: summed here, after keeping the touched customers' rows only)."""
    touched = touched_ids(changed_lines, ids)
    now = stored_state(state.join(touched, on="customer_id", how="semi"))
    return history_of(changed_lines, touched, now, ids)


def history_of(
    changed_lines: pl.LazyFrame, touched: pl.LazyFrame, now: pl.LazyFrame, ids: pl.LazyFrame
) -> History:
    """``state_history`` from the touched customers' summed state rows after the changes
    (``now``: ``stored_state`` of at least their rows), read by the caller already."""
    now = now.join(touched, on="customer_id", how="semi")
    reversed_deltas = state_deltas(changed_lines, ids).with_columns(
        -pl.col("lines"), -pl.col("revenue")
    )
    before = _combined(now, reversed_deltas).filter(pl.col("lines") > 0)
    return touched, before, now


def first_days_before_and_now(
    changed_lines: pl.LazyFrame, state: pl.LazyFrame, ids: pl.LazyFrame
) -> pl.LazyFrame:
    """customer_id, old_first_date_key, new_first_date_key of every customer a changed fact
    row names; a first day is null without any counted line."""
    touched, before, now = state_history(changed_lines, state, ids)
    return first_days_between(touched, before, now)


def first_days_between(
    touched: pl.LazyFrame, before: pl.LazyFrame, now: pl.LazyFrame
) -> pl.LazyFrame:
    """customer_id, old_first_date_key, new_first_date_key from ``state_history``."""
    old = before.group_by("customer_id").agg(old_first_date_key=pl.col("date_key").min())
    new = now.group_by("customer_id").agg(new_first_date_key=pl.col("date_key").min())
    return touched.join(old, on="customer_id", how="left").join(new, on="customer_id", how="left")


def first_days_of(customers: pl.LazyFrame, state: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id -> first_date_key of the customers in ``customers`` (their first counted
    day in the state; ``state``: its stored rows, summed after keeping these customers')."""
    mine = state.join(customers.select("customer_id").unique(), on="customer_id", how="semi")
    return stored_state(mine).group_by("customer_id").agg(first_date_key=pl.col("date_key").min())
