"""The incremental marts' persisted customer state (transforms/gold/customer_days.py): each
customer's counted order lines per day, kept at the order facts' latest version so that a
night reads the changed facts plus the state rows of the customers they name, never a
customer's fact history.

Each mart owns its copy (`_state/<mart>_customer_days` in the lake, layer `_state`: no change
feed, never loaded into the warehouse). Both marts may run at once in one run (multiprocess
executor); one writer per table needs no lock.

The state records its own progress (`_progress/_state/<table>`, one commit): the versions of
gold.fact_order_lines and gold.dim_customer it reflects, its version at its last whole write
and its own table version. It is
trusted only when that recorded own version is the table's current version (a crash between
the state's commit and its progress leaves them apart, and the state is then rebuilt, never
double-counted) and its facts version is not ahead of the facts. Otherwise:

- at the facts' version: used as is;
- behind: advanced by the facts' net change feed since its version (the deltas of the named
  customers' days appended in one commit; readers sum them, and every COMPACT_AFTER_APPENDS
  appends the summed state is written whole instead), or rebuilt from the facts when the
  feed cannot be read, the facts were replaced whole, or the changes do not fit the state
  (`StateMismatchError`, or a customer_key nobody knows);
- missing or untrusted: rebuilt from the facts.

A mart's full build writes the state from the days it computes anyway (`keep_state`). The
state advances before the mart publishes: a mart whose publish fails leaves the state ahead of
the mart's consumed version, which the mart's next run handles (it reads the state as it is
after its changes and subtracts them for the state before: transforms/gold/customer_days.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from retail_platform.assets.gold.increment import FULL, INCREMENTAL, GoldPlan
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import Progress
from retail_platform.transforms.gold.customer_days import (
    STATE_SCHEMA,
    StateMismatchError,
    advance_state,
    build_customer_days,
    key_ids,
    state_deltas,
    state_from_days,
    stored_state,
    unresolved_keys,
)

STATE_LAYER = "_state"  # beside _progress and _audit; silver keeps its counts there too
FACTS, CUSTOMERS = "fact_order_lines", "dim_customer"
# A night appends its deltas; after this many appends since the last whole write, the next
# night writes the summed state whole (one row per customer and day again).
COMPACT_AFTER_APPENDS = 30
# The state depends on these columns of the facts only: their feed is read and netted on them.
_CHANGE_COLUMNS = ["customer_key", "date_key", "status", "net_amount_reporting"]
_CUSTOMER_COLUMNS = ["customer_key", "customer_id"]


def state_table(mart: str) -> str:
    return f"{mart}_customer_days"


def _compacted(table: str) -> str:
    """The progress source recording the state's version at its last whole write."""
    return f"{table}#whole"


@dataclass(frozen=True)
class _Trusted:
    facts: int
    customers: int
    appends: int  # commits since the last whole write


@dataclass(frozen=True)
class FactChanges:
    """Changes the mart has read already (`since`: the facts' and dim_customer's versions
    they start from), reused by the state when it starts from the same versions."""

    facts_since: int | None
    lines: pl.DataFrame
    customers_since: int | None
    customers: pl.DataFrame
    ids: pl.DataFrame
    """``key_ids`` of dim_customer now and ``customers`` for (at least) the customer_keys of
    ``lines``."""
    deltas: pl.DataFrame
    """``state_deltas`` of ``lines`` resolved with ``ids``."""


def _record(lake: LakeResource, plan: GoldPlan, table: str, mode: str) -> None:
    """Progress, in one commit: the facts' and dim_customer's versions, its version at its
    last whole write (when this is one) and its own version (the commit mark)."""
    run_id = plan.run.run_id if plan.run is not None else ""
    records = []
    for source in (FACTS, CUSTOMERS):
        position = plan.position(source)
        records.append(Progress(position.layer, source, position.now, mode, run_id))
    own = lake.version(STATE_LAYER, table)
    if mode == FULL:
        records.append(Progress(STATE_LAYER, _compacted(table), own, mode, run_id))
    records.append(Progress(STATE_LAYER, table, own, mode, run_id))
    lake.record_progresses(STATE_LAYER, table, records)


def _write_whole(lake: LakeResource, plan: GoldPlan, table: str, rows: pl.DataFrame) -> None:
    lake.replace_table(STATE_LAYER, table, rows)
    _record(lake, plan, table, FULL)


def keep_state(lake: LakeResource, plan: GoldPlan, mart: str, days: pl.DataFrame) -> None:
    """Replace the state with the one of ``days`` (customer_order_days of all the facts at the
    plan's versions, as a full build computes them)."""
    _write_whole(lake, plan, state_table(mart), state_from_days(days.lazy()).collect())


def _scan(lake: LakeResource, table: str) -> pl.LazyFrame:
    """The stored rows (readers sum them per customer and day: ``stored_state``)."""
    return lake.scan(STATE_LAYER, table)


def _rebuilt(lake: LakeResource, plan: GoldPlan, table: str, wanted: pl.Series) -> CurrentState:
    """The state built whole from the facts and dim_customer, with the wanted rows."""
    rows = build_customer_days(plan.scan(FACTS), plan.scan(CUSTOMERS))
    _write_whole(lake, plan, table, rows.collect(engine="streaming"))
    return _current(lake, table, wanted)


def _trusted(lake: LakeResource, table: str) -> _Trusted | None:
    """The versions the state reflects, or None: untrusted (module docstring)."""
    if not lake.exists(STATE_LAYER, table):
        return None
    if lake.scan(STATE_LAYER, table).collect_schema() != STATE_SCHEMA:
        return None  # written by an older layout (e.g. before it kept revenue): rebuilt
    recorded = lake.progresses(STATE_LAYER, table)  # one read of its progress log
    own, whole = recorded.get(table), recorded.get(_compacted(table))
    facts, customers = recorded.get(FACTS), recorded.get(CUSTOMERS)
    if own is None or whole is None or facts is None or customers is None:
        return None
    if own.source_version != lake.version(STATE_LAYER, table):
        return None  # written after its last recorded progress: a crash in between
    appends = own.source_version - whole.source_version
    return _Trusted(facts.source_version, customers.source_version, appends)


def _changes(
    lake: LakeResource, plan: GoldPlan, trusted: _Trusted, known: FactChanges | None
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The facts' and dim_customer's changes since the state's versions (the mart's own when
    they start there), or None when unreadable."""
    facts_now, customers_now = plan.position(FACTS).now, plan.position(CUSTOMERS).now
    if known is not None and known.facts_since == trusted.facts:
        lines: pl.DataFrame | None = known.lines
    else:
        found = lake.changes("gold", FACTS, trusted.facts, facts_now, _CHANGE_COLUMNS, True)
        lines = None if found is None else found.collect()
    if known is not None and known.customers_since == trusted.customers:
        customers: pl.DataFrame | None = known.customers
    elif trusted.customers <= customers_now:
        found = lake.changes(
            "gold", CUSTOMERS, trusted.customers, customers_now, _CUSTOMER_COLUMNS, True
        )
        customers = None if found is None else found.collect()
    else:
        customers = None
    if lines is None or customers is None:
        return None
    return lines, customers


@dataclass(frozen=True)
class CurrentState:
    """The mart's customer state at the plan's facts version: its stored rows (a scan) and,
    read with the same scan that advanced it, the summed rows of the customers asked for."""

    stored: pl.LazyFrame
    rows: pl.DataFrame
    """``stored_state`` of the ``wanted`` customers of ``current_state``."""
    before: pl.DataFrame | None = None
    """Their rows before the mart's changes, when the state advanced over exactly those
    changes (it read them then); None otherwise (the caller subtracts the changes)."""


def _of(stored: pl.LazyFrame, customers: pl.Series) -> pl.LazyFrame:
    return stored.filter(pl.col("customer_id").is_in(customers.implode()))


def _current(lake: LakeResource, table: str, wanted: pl.Series) -> CurrentState:
    stored = _scan(lake, table)
    return CurrentState(stored, stored_state(_of(stored, wanted)).collect())


def current_state(
    lake: LakeResource,
    plan: GoldPlan,
    mart: str,
    wanted: pl.Series,
    known: FactChanges | None = None,
) -> CurrentState:
    """The mart's customer state at the plan's facts version (module docstring), with the
    summed rows of the ``wanted`` customer_ids; ``known``: the changes the mart read
    already. Advancing reads the stored rows of the wanted and the changed customers once."""
    table = state_table(mart)
    trusted = _trusted(lake, table)
    facts_now = plan.position(FACTS).now
    if trusted is None or trusted.facts > facts_now:
        return _rebuilt(lake, plan, table, wanted)
    if trusted.facts == facts_now:
        return _current(lake, table, wanted)
    if lake.replaced_whole_after("gold", FACTS, trusted.facts):
        return _rebuilt(lake, plan, table, wanted)
    found = _changes(lake, plan, trusted, known)
    if found is None:
        return _rebuilt(lake, plan, table, wanted)
    changed, customer_changes = found
    same_range = (
        known is not None and changed is known.lines and customer_changes is known.customers
    )
    if known is not None and same_range:  # the mart resolved exactly these changes already
        ids, deltas = known.ids.lazy(), known.deltas
    else:
        ids = key_ids(plan.scan(CUSTOMERS), customer_changes.lazy()).collect().lazy()
        deltas = None
    if not unresolved_keys(changed.lazy(), ids).collect().is_empty():
        return _rebuilt(lake, plan, table, wanted)
    if deltas is None:
        deltas = state_deltas(changed.lazy(), ids).collect()
    named = deltas.get_column("customer_id").unique()
    read = stored_state(_of(_scan(lake, table), pl.concat([wanted, named]).unique())).collect()
    try:
        advanced = advance_state(read, deltas)  # no day may end up below no line
    except StateMismatchError:
        return _rebuilt(lake, plan, table, wanted)
    if trusted.appends + 1 >= COMPACT_AFTER_APPENDS:
        whole = pl.concat([stored_state(_scan(lake, table)).collect(), deltas])
        _write_whole(lake, plan, table, stored_state(whole.lazy()).sort("customer_id").collect())
        return _current(lake, table, wanted)
    if deltas.height:
        lake.append(STATE_LAYER, table, deltas)
    _record(lake, plan, table, INCREMENTAL)
    mine = pl.col("customer_id").is_in(wanted.implode())
    unchanged = read.filter(pl.col("customer_id").is_in(named.implode()).not_())
    rows = pl.concat([unchanged, advanced]).filter(mine)
    # Read at the state's version, which is where the mart's changes start: their before.
    return CurrentState(_scan(lake, table), rows, read.filter(mine) if same_range else None)
