"""Incremental gold: read the inputs' change data feed, recompute a slice, publish the slice.

A gold table records, after each audited commit, the version of every input it consumed (the
lake's progress log, `gold/<table>`). The next run plans (`plan_gold`):

- FULL when the run asks for it (config `full_refresh: true` or run tag
  `retail/full_refresh=true`), when the gold table is missing or not in its contract or
  holds surrogate keys of an older rule (key_rule.py), when an
  input has no recorded progress, or when an input's changes since then cannot be read as a
  change data feed (feed off at that version, vacuumed) or the input was replaced whole (a
  full silver rebuild: reading every row twice as changes costs more than a rebuild);
- UNCHANGED when no input moved;
- INCREMENTAL otherwise: the asset reads each input's changes (`GoldPlan.changes`), works out
  the affected values of one column (dates, customers, cohorts) and recomputes their rows from
  the inputs at the planned versions (`GoldPlan.scan`).

The asset returns a `GoldSlice`; the gold IO manager (quality/publish.py) audits it, commits it
as one overwrite of the rows with those values (or of the whole table for a full build), and
only then records the audit and the progress. A failed audit records no progress: the next
run reads the same changes again (recomputing a slice is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.assets.gold.key_rule import KeyRuleMixError, key_rule_mix, stale_key_rule
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import Progress

FULL, INCREMENTAL, UNCHANGED = "full", "incremental", "unchanged"
GOLD = "gold"


# A slice covering more than this share of a table costs more than rebuilding it (the slice
# reads change feeds as large as the table and rewrites it anyway): plan a full build then.
REBUILD_ABOVE_SHARE = 0.5
# Below this many rows a table is cheap to rebuild or slice either way: no guard.
GUARD_MIN_ROWS = 10_000
# A full build of a fact is built, audited and written in parts of about this many source rows
# (a run of whole days): its memory is one part's, not the history's (assets/gold/fact_refresh.py).
PART_ROWS = 500_000


class GoldRefreshConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild this gold table from all of its inputs instead of the slice "
        "their changes affect (after a contract change, or to repair). The run tag "
        "retail/full_refresh=true does the same for every silver and gold asset of a run.",
    )
    rebuild_above_share: float = Field(
        default=REBUILD_ABOVE_SHARE,
        description="Build the whole table instead of a slice when the changes touch more "
        "than this share of an input's rows or of the table's slices (1.0: always slice).",
    )
    part_rows: int = Field(
        default=PART_ROWS,
        ge=1,
        description="A full build of a fact is built, audited and written in parts of whole "
        "days holding about this many source rows each (one commit for all parts): the "
        "build's memory is one part's. A day larger than this is a part of its own.",
    )


@dataclass(frozen=True)
class GoldRun:
    run_id: str
    full_refresh: bool = False
    rebuild_share: float | None = None
    """Plan a full build when a slice would cover more than this share (None: never)."""
    guard_min_rows: int = GUARD_MIN_ROWS
    part_rows: int = PART_ROWS
    """A full fact build's parts hold about this many source rows (GoldRefreshConfig)."""
    selected: frozenset[str] | None = None
    """The gold tables the run materializes (None: every asset of the job)."""


def gold_run(context: dg.AssetExecutionContext, config: GoldRefreshConfig) -> GoldRun:
    # Imported here: the gold IO manager imports this module, and assets.silver's package
    # imports every silver asset (and through them the IO manager's module).
    from retail_platform.assets.silver.run_mode import FULL_REFRESH_TAG

    tagged = context.run.tags.get(FULL_REFRESH_TAG, "").strip().lower() == "true"
    selection = context.run.asset_selection
    return GoldRun(
        context.run.run_id,
        full_refresh=config.full_refresh or tagged,
        rebuild_share=config.rebuild_above_share,
        part_rows=config.part_rows,
        selected=None
        if selection is None
        else frozenset(key.path[-1] for key in selection if key.path[0] == GOLD),
    )


@dataclass(frozen=True)
class GoldInput:
    """A table a gold table is computed from. A `small` input's changes are read even when it
    was replaced whole (the feed then holds both versions: cheap for rates or a dimension,
    while a whole fact or silver history is cheaper to rebuild from)."""

    layer: str
    table: str
    small: bool = False
    whole_column: str | None = None
    """A column whose every value the whole gold table depends on (the reporting currency of
    the rates): a changed value rebuilds the gold table in full."""
    read_whole: bool = False
    """The gold table reads this input at its planned version only (e.g. a min/max of one
    column), never its changes: the plan then checks neither its change feed nor its size."""


@dataclass(frozen=True)
class Position:
    """An input's consumed version (`since`, None before the first run) and the version this
    run reads (`now`), which becomes the recorded progress after the commit."""

    layer: str
    table: str
    since: int | None
    now: int


@dataclass(frozen=True)
class GoldParts:
    """A whole table as a sequence of parts, produced one at a time: part i holds the rows
    whose `column` is one of `values[i]` (a run of days' date keys), and all parts together
    hold every row of the table (`build(i)` makes part i; the first part also takes any row
    without a value). Nothing holds more than one part: the IO manager audits each part as it
    comes and streams it into one commit (quality/publish.py)."""

    column: str
    values: tuple[tuple[int, ...], ...]
    build: Callable[[int], pl.DataFrame] = field(repr=False, compare=False)
    schema: pl.Schema = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[tuple[tuple[int, ...], pl.DataFrame]]:
        """(values, rows) of each part in turn."""
        for index, values in enumerate(self.values):
            yield values, self.build(index)

    def describe(self, index: int) -> str:
        """'part 2 of 5 (date_key 20260101..20260131)', for a failure naming its part."""
        values = self.values[index]
        span = f"{values[0]}..{values[-1]}" if values else "no values"
        return f"part {index + 1} of {len(self.values)} ({self.column} {span})"


@dataclass(frozen=True)
class SliceMerge:
    """How a slice is committed when most of its rows are the published ones: a merge by
    `key` of the rows that differ (`upserts`, new or changed) and of the published rows that
    are gone (`deletes`, full rows), instead of an overwrite of every row of the slice. The
    table ends the same; the commit's change feed holds only what changed, so downstream
    readers of the feed read the changes, not the slice twice."""

    key: tuple[str, ...]
    upserts: pl.DataFrame
    deletes: pl.DataFrame

    @property
    def rows(self) -> int:
        return self.upserts.height + self.deletes.height


@dataclass(frozen=True)
class GoldSlice:
    """Rows to publish: those of the whole table (`column` None), or the rows whose `column`
    is one of `values` (each row must carry one). `consumed` is recorded as progress.

    A whole table built in parts (`parts`, a full fact build) carries no `rows` (empty):
    its parts are produced while the IO manager writes them."""

    rows: pl.DataFrame
    column: str | None
    values: frozenset[object]
    consumed: tuple[Position, ...]
    mode: str
    reason: str
    parts: GoldParts | None = None
    merge: SliceMerge | None = None
    """The slice's commit as a merge of its differences (SliceMerge); `rows` are still the
    whole slice: the audit's per-row rules judge the merge's upserts (the rows it writes), its
    table-level rules (keys, reconciliation, unknown share) the whole slice."""

    @property
    def whole(self) -> bool:
        return self.column is None

    @property
    def commits(self) -> bool:
        """Whether publishing it writes anything (an empty slice only records progress)."""
        return self.whole or bool(self.values)

    def progress(self, table_run_id: str) -> list[Progress]:
        return [Progress(p.layer, p.table, p.now, self.mode, table_run_id) for p in self.consumed]

    def metadata(self, rows: int | None = None) -> dict[str, object]:
        """What the refresh did; `rows`: the rows written, when the slice does not hold them
        (a build in parts)."""
        scope = "whole table" if self.whole else f"{len(self.values)} {self.column} value(s)"
        if self.parts is not None:
            scope += f" in {len(self.parts)} part(s)"
        held = rows is None or self.merge is not None  # a merge's slice holds its rows
        metadata: dict[str, object] = {
            "refresh_mode": self.mode,
            "refresh_reason": self.reason,
            "refresh_scope": scope,
            "rows_recomputed": self.rows.height if held else rows,
            "input_versions": ", ".join(f"{p.layer}.{p.table}={p.now}" for p in self.consumed),
        }
        if self.merge is not None:
            metadata["rows_merged"] = self.merge.rows  # rows that differ: upserts and deletes
        return metadata


class ChangesUnreadableError(RuntimeError):
    """An input's changes could not be read while the run read them."""


@dataclass(frozen=True)
class GoldPlan:
    table: str
    mode: str
    reason: str
    positions: tuple[Position, ...]
    lake: LakeResource = field(repr=False, compare=False)
    run: GoldRun | None = None
    read: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    """Each input's changes, read once per run (a plan and the plans made from it share it):
    the guard and the affected values read the same feed."""

    def too_wide(self, count: int, total: int, table_rows: int) -> str:
        """Why a slice of `count` of `total` values (or rows) of a table of `table_rows` rows
        is better built whole, or '' when slicing is worth it (module constants)."""
        run = self.run
        if run is None or run.rebuild_share is None or table_rows < run.guard_min_rows:
            return ""
        if total <= 0 or count <= run.rebuild_share * total:
            return ""
        return (
            f"the changes touch {count} of {total} ({count / total:.0%}, over "
            f"{run.rebuild_share:.0%}): a full build is cheaper"
        )

    def position(self, table: str) -> Position:
        for position in self.positions:
            if position.table == table:
                return position
        raise KeyError(f"gold.{self.table}: {table} is not one of its planned inputs")

    def scan(self, table: str) -> pl.LazyFrame:
        """The input at the version this run consumes (later commits are the next run's)."""
        position = self.position(table)
        return self.lake.scan(position.layer, position.table, position.now)

    def moved(self, table: str) -> bool:
        """Whether the input has commits this run consumes (an unmoved one has no changes)."""
        position = self.position(table)
        return position.since != position.now

    def changes(self, table: str, columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """The input's change rows between its consumed and planned versions (`_change_type`,
        `_commit_version`); only for an incremental plan. The feed is read (every column: the
        images net out on all of them) once per run and kept, whichever columns are asked."""
        position = self.position(table)
        if self.mode == FULL or position.since is None:
            raise ValueError(f"gold.{self.table}: a {self.mode} plan reads no changes")
        found = self.read.get(table)
        if found is None:
            read = self.lake.changes(position.layer, position.table, position.since, position.now)
            if read is None:  # e.g. change files vacuumed: the caller rebuilds (`rebuilt`)
                name = f"{position.layer}.{position.table}"
                raise ChangesUnreadableError(
                    f"{name} changes since version {position.since} unreadable"
                )
            found = read.collect()
            self.read[table] = found
        if columns is None:
            return found.lazy()
        return found.lazy().select(*columns, "_change_type", "_commit_version")

    def rebuilt(self, reason: str) -> GoldPlan:
        """The same positions, planned as a full build (an input's changes proved unreadable)."""
        return GoldPlan(self.table, FULL, reason, self.positions, self.lake, self.run, self.read)

    def changed_values(self, table: str, columns: Iterable[str]) -> pl.LazyFrame:
        """Distinct values of `columns` in the input's changed rows, before and after."""
        names = list(columns)
        return self.changes(table, names).select(names).unique()

    def full(self, rows: pl.DataFrame) -> GoldSlice:
        return GoldSlice(rows, None, frozenset(), self.positions, FULL, self.reason)

    def full_in_parts(self, parts: GoldParts) -> GoldSlice:
        """The whole table, built part by part while it is written (GoldParts)."""
        rows = pl.DataFrame(schema=parts.schema)
        return GoldSlice(rows, None, frozenset(), self.positions, FULL, self.reason, parts)

    def unchanged(self, column: str) -> GoldSlice:
        """Nothing to publish (no commit, no audit); the positions are still recorded."""
        return self.slice(pl.DataFrame(), column, ())

    def slice(
        self,
        rows: pl.DataFrame,
        column: str,
        values: Collection[object],
        merge: SliceMerge | None = None,
    ) -> GoldSlice:
        return GoldSlice(
            rows, column, frozenset(values), self.positions, self.mode, self.reason, merge=merge
        )


def plan_gold(
    lake: LakeResource, contract: TableContract, inputs: Sequence[GoldInput], run: GoldRun
) -> GoldPlan:
    """Full, incremental or unchanged, and why (module docstring)."""
    table = contract.name
    now = {item: lake.version(item.layer, item.table) for item in inputs}
    progress = {item: lake.progress(GOLD, table, item.table) for item in inputs}
    since = {item: (p.source_version if p is not None else None) for item, p in progress.items()}
    positions = tuple(Position(i.layer, i.table, since[i], now[i]) for i in inputs)
    read: dict[str, pl.DataFrame] = {}  # the changes, shared by the guard and the asset

    def plan(mode: str, reason: str) -> GoldPlan:
        return GoldPlan(table, mode, reason, positions, lake, run, read)

    stale_keys = lake.exists(GOLD, table) and stale_key_rule(lake, GOLD, table)
    # Keys of an older rule (key_rule.py) are rebuilt below, never mixed across tables.
    if stale_keys and (mixed := key_rule_mix(lake, contract, run.selected)):
        raise KeyRuleMixError(mixed)
    if run.full_refresh:
        return plan(FULL, "full refresh requested")
    if not lake.exists(GOLD, table):
        return plan(FULL, f"gold.{table} does not exist yet")
    if lake.scan(GOLD, table).collect_schema() != contract.polars_schema:
        return plan(FULL, f"gold.{table} is not in its contract's schema")
    if stale_keys:
        return plan(FULL, stale_keys)
    for item in inputs:
        if since[item] is None:
            return plan(FULL, f"no recorded progress in {item.layer}.{item.table}")
    moved = [item for item in inputs if since[item] != now[item]]
    if not moved:
        return plan(UNCHANGED, "no input changed since the last run")
    for item in moved:
        name, position = f"{item.layer}.{item.table}", since[item]
        assert position is not None
        if position > now[item]:
            return plan(FULL, f"{name} is at version {now[item]}, behind consumed {position}")
        if item.read_whole:
            continue
        if not item.small and lake.replaced_whole_after(item.layer, item.table, position):
            return plan(FULL, f"{name} was replaced whole since version {position}")
        if lake.changes(item.layer, item.table, position, position) is None:
            return plan(FULL, f"{name} version {position} has no readable change data feed")
        if item.whole_column is not None:
            moved_values = _values_changed(lake, item, position, item.whole_column)
            if moved_values:
                return plan(FULL, f"{name}.{item.whole_column} changed: {moved_values}")
    incremental = plan(INCREMENTAL, "")
    for item in moved:
        if not item.small and not item.read_whole:
            wide = _changes_too_wide(incremental, item, now[item])
            if wide:
                read.clear()  # a full build reads no changes: do not hold them
                return plan(FULL, f"{item.layer}.{item.table}: {wide}")
    names = ", ".join(f"{i.layer}.{i.table} {since[i]}->{now[i]}" for i in moved)
    return plan(INCREMENTAL, f"changes in {names}")


def _changes_too_wide(plan: GoldPlan, item: GoldInput, now: int) -> str:
    """The guard on an input's changed rows (an update counted once) against its rows. The
    changes are read through the plan: the asset then reuses them."""
    if plan.run is None or plan.run.rebuild_share is None:
        return ""
    current = plan.lake.scan(item.layer, item.table, now)
    rows = current.select(pl.len()).collect().item()
    if rows < plan.run.guard_min_rows:
        return ""
    try:
        changes = plan.changes(item.table)
    except ChangesUnreadableError:
        return ""  # the asset meets the same error and rebuilds
    changed = (
        changes.filter(pl.col("_change_type") != "update_preimage").select(pl.len()).collect()
    ).item()
    return plan.too_wide(changed, rows, rows)


def _values_changed(lake: LakeResource, item: GoldInput, since: int, column: str) -> str:
    """'old -> new' when the changes since `since` carry a value of `column` the table no
    longer holds (e.g. the rates were rebuilt for another reporting currency); else ''."""
    changes = lake.changes(item.layer, item.table, since, columns=[column])
    if changes is None:
        return ""
    current = lake.scan(item.layer, item.table).select(pl.col(column).unique())
    gone = changes.select(pl.col(column).unique()).join(current, on=column, how="anti").collect()
    if gone.is_empty():
        return ""
    old = ", ".join(sorted(str(value) for value in gone.get_column(column).drop_nulls()))
    new = ", ".join(sorted(str(value) for value in current.collect().get_column(column)))
    return f"{old or 'null'} -> {new or 'none'}"
