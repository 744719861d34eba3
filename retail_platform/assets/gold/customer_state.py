"""The incremental marts' persisted customer state (transforms/gold/customer_days.py): each
customer's counted order lines per day, kept at the order facts' latest version so that a
night reads the changed facts plus the state rows of the customers they name, never a
customer's fact history.

Each mart owns its copy (`state/<mart>_customer_days` in the lake, layer `state`: no change
feed, never loaded into the warehouse). Both marts may run at once in one run (multiprocess
executor); one writer per table needs no lock.

The state records its own progress (`_progress/state/<table>`): the versions of
gold.fact_order_lines and gold.dim_customer it reflects and, last, its own table version. It is
trusted only when that recorded own version is the table's current version (a crash between
the state's commit and its progress leaves them apart, and the state is then rebuilt, never
double-counted) and its facts version is not ahead of the facts. Otherwise:

- at the facts' version: used as is;
- behind: advanced by the facts' net change feed since its version (one overwrite of the named
  customers' rows), or rebuilt from the facts when the feed cannot be read, the facts were
  replaced whole, or the changes do not fit the state (`StateMismatchError`);
- missing or untrusted: rebuilt from the facts.

A mart's full build writes the state from the days it computes anyway (`keep_state`). The
state advances before the mart publishes: a mart whose publish fails leaves the state ahead of
the mart's consumed version, which the mart's next run handles (it reads the state as it is
after its changes and subtracts them for the state before: transforms/gold/customer_days.py).
"""

from __future__ import annotations

import polars as pl

from retail_platform.assets.gold.increment import FULL, INCREMENTAL, GoldPlan
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import Progress
from retail_platform.transforms.gold.customer_days import (
    StateMismatchError,
    advance_state,
    build_customer_days,
    key_ids,
    state_deltas,
    state_from_days,
    unresolved_keys,
)

STATE_LAYER = "state"
FACTS, CUSTOMERS = "fact_order_lines", "dim_customer"
_CHANGE_COLUMNS = ["customer_key", "date_key", "status"]
_CUSTOMER_COLUMNS = ["customer_key", "customer_id"]


def state_table(mart: str) -> str:
    return f"{mart}_customer_days"


def _record(lake: LakeResource, plan: GoldPlan, table: str, mode: str) -> None:
    """Progress: the facts' and dim_customer's versions, then (the commit mark) its own."""
    run_id = plan.run.run_id if plan.run is not None else ""
    for source in (FACTS, CUSTOMERS):
        position = plan.position(source)
        lake.record_progress(
            STATE_LAYER, table, Progress(position.layer, source, position.now, mode, run_id)
        )
    own = lake.version(STATE_LAYER, table)
    lake.record_progress(STATE_LAYER, table, Progress(STATE_LAYER, table, own, mode, run_id))


def keep_state(lake: LakeResource, plan: GoldPlan, mart: str, days: pl.DataFrame) -> None:
    """Replace the state with the one of ``days`` (customer_order_days of all the facts at the
    plan's versions, as a full build computes them)."""
    table = state_table(mart)
    lake.replace_table(STATE_LAYER, table, state_from_days(days.lazy()).collect())
    _record(lake, plan, table, FULL)


def _rebuild(lake: LakeResource, plan: GoldPlan, table: str) -> pl.LazyFrame:
    rows = build_customer_days(plan.scan(FACTS), plan.scan(CUSTOMERS))
    lake.replace_table(STATE_LAYER, table, rows.collect(engine="streaming"))
    _record(lake, plan, table, FULL)
    return lake.scan(STATE_LAYER, table)


def _trusted_version(lake: LakeResource, table: str) -> tuple[int, int] | None:
    """(facts version, dim_customer version) the state reflects, or None: untrusted."""
    if not lake.exists(STATE_LAYER, table):
        return None
    own = lake.progress(STATE_LAYER, table, table)
    facts = lake.progress(STATE_LAYER, table, FACTS)
    customers = lake.progress(STATE_LAYER, table, CUSTOMERS)
    if own is None or facts is None or customers is None:
        return None
    if own.source_version != lake.version(STATE_LAYER, table):
        return None  # written after its last recorded progress: a crash in between
    return facts.source_version, customers.source_version


def current_state(lake: LakeResource, plan: GoldPlan, mart: str) -> pl.LazyFrame:
    """The mart's customer state at the plan's facts version (module docstring)."""
    table = state_table(mart)
    found = _trusted_version(lake, table)
    facts_now = plan.position(FACTS).now
    if found is None or found[0] > facts_now:
        return _rebuild(lake, plan, table)
    facts_at, customers_at = found
    if facts_at == facts_now:
        return lake.scan(STATE_LAYER, table)
    if lake.replaced_whole_after("gold", FACTS, facts_at):
        return _rebuild(lake, plan, table)
    changes = lake.changes("gold", FACTS, facts_at, facts_now, _CHANGE_COLUMNS)
    customers_now = plan.position(CUSTOMERS).now
    customer_changes = (
        lake.changes("gold", CUSTOMERS, customers_at, customers_now, _CUSTOMER_COLUMNS)
        if customers_at <= customers_now
        else None
    )
    if changes is None or customer_changes is None:
        return _rebuild(lake, plan, table)
    changed = changes.collect()
    ids = key_ids(plan.scan(CUSTOMERS), customer_changes).collect().lazy()
    if not unresolved_keys(changed.lazy(), ids).collect().is_empty():
        return _rebuild(lake, plan, table)
    deltas = state_deltas(changed.lazy(), ids).collect()
    named = deltas.get_column("customer_id").unique().to_list()
    if named:
        rows = lake.scan(STATE_LAYER, table).filter(pl.col("customer_id").is_in(named)).collect()
        try:
            advanced = advance_state(rows, deltas)
        except StateMismatchError:
            return _rebuild(lake, plan, table)
        lake.replace_values(STATE_LAYER, table, advanced, "customer_id", named)
    _record(lake, plan, table, INCREMENTAL)
    return lake.scan(STATE_LAYER, table)
