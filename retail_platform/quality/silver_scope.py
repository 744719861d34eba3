"""What a silver check reads: the rows changed since it last passed, or the whole table.

The silver rules checked after every run (key unique and present, required columns filled,
line arithmetic, every line has its order) decompose by key: a table that passed at version V
and was since changed by merges and appends can only break them in the keys written since V.
So, after a passed check records the version it checked (the lake's progress log, under
``silver_checks/<table>/<check>``), the next run reads the table's change data feed after
that version (resources/lake_changes.py), takes the keys of the rows it inserted or updated,
and checks the table's current rows of those keys (a scan the key clustering prunes), plus
any changed row with a null key. An incremental night thus checks one day's keys, not the
history.

A failed check records nothing: the next run checks from the last passed version again, so a
bad increment keeps failing until it is fixed. The whole table is checked instead on the first
run, after a whole-table rewrite (a rebuild: its feed is the whole table anyway), when the
feed cannot be read from the recorded version (vacuumed, feed off), or when that version is
ahead of the table (the table was recreated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl

from retail_platform.quality.outcome import RuleOutcome
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_changes import AFTER, BEFORE, CHANGE_TYPE
from retail_platform.resources.lake_progress import Progress
from retail_platform.transforms.silver.keys import rows_with_keys

SILVER = "silver"
CHECKS_LAYER = "silver_checks"
WHOLE, CHANGED = "whole_table", "changed_keys"


@dataclass(frozen=True)
class Scope:
    """The rows of one silver table a check reads, at one version."""

    table: str
    version: int
    since: int | None
    """The version the check last passed at; None: the whole table is checked."""
    changes: pl.DataFrame | None = None
    """The feed after ``since`` (insert/update/delete images), when ``since`` is set."""

    @property
    def mode(self) -> str:
        return WHOLE if self.since is None else CHANGED

    def current(self, lake: LakeResource) -> pl.LazyFrame:
        return lake.scan(SILVER, self.table, self.version)

    def changed_keys(self, key: Sequence[str], images: Sequence[str] = AFTER) -> pl.DataFrame:
        """The distinct non-null keys of the changed rows of the given images."""
        if self.changes is None:
            raise ValueError(f"silver.{self.table}: a whole-table scope has no changed keys")
        rows = self.changes.filter(pl.col(CHANGE_TYPE).is_in(list(images)))
        return rows.select(key).drop_nulls().unique()

    def rows(self, lake: LakeResource, key: Sequence[str]) -> pl.LazyFrame:
        """The rows to check: the whole table, or its current rows of the changed keys plus
        the changed rows whose key is null (they match no key)."""
        current = self.current(lake)
        if self.changes is None:
            return current
        of_keys = rows_with_keys(current, self.changed_keys(key), key)
        names = current.collect_schema().names()
        written = self.changes.filter(pl.col(CHANGE_TYPE).is_in(list(AFTER)))
        null_keyed = written.filter(pl.any_horizontal(pl.col(key).is_null())).select(names)
        return pl.concat([of_keys, null_keyed.lazy()], how="vertical_relaxed")

    def deleted_keys(self, key: Sequence[str]) -> pl.DataFrame:
        """Keys removed since ``since`` (delete images, e.g. an order no longer valid)."""
        return self.changed_keys(key, images=("delete",))


def scope_of(lake: LakeResource, table: str, check: str, owner: str | None = None) -> Scope:
    """The rows ``check`` (of ``silver.owner``, default ``table``) reads in ``silver.table``
    on this run (module docstring)."""
    version = lake.version(SILVER, table)
    recorded = lake.progress(CHECKS_LAYER, f"{owner or table}/{check}", table)
    whole = Scope(table, version, None)
    if recorded is None or recorded.source_version > version:
        return whole
    since = recorded.source_version
    if since == version:
        return Scope(table, version, since, _no_changes(lake, table, version))
    if lake.replaced_whole_after(SILVER, table, since):
        return whole
    changes = lake.changes(SILVER, table, since, version)
    if changes is None:
        return whole
    wanted = pl.col(CHANGE_TYPE).is_in([*AFTER, *BEFORE])
    return Scope(table, version, since, changes.filter(wanted).collect())


def _no_changes(lake: LakeResource, table: str, version: int) -> pl.DataFrame:
    empty = lake.scan(SILVER, table, version).head(0).collect()
    return empty.with_columns(pl.lit(None, pl.String).alias(CHANGE_TYPE))


def record_passed(lake: LakeResource, check: str, scopes: Sequence[Scope], run_id: str) -> None:
    """Record the versions a passed check covered (one commit per table it read)."""
    owner = scopes[0].table
    for scope in scopes:
        progress = Progress(SILVER, scope.table, scope.version, scope.mode, run_id)
        lake.record_progress(CHECKS_LAYER, f"{owner}/{check}", progress)


def scoped(outcome: RuleOutcome, scope: Scope) -> RuleOutcome:
    """The outcome with what it read: whole table or changed keys, at which versions."""
    since = {} if scope.since is None else {f"{scope.table}_changed_since_version": scope.since}
    counts = {f"{scope.table}_checked": scope.mode, f"{scope.table}_version": scope.version}
    return replace(outcome, counts={**outcome.counts, **counts, **since})
