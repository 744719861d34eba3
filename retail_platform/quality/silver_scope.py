"""What a silver check reads: the rows changed since it last passed, or the whole table.

The silver rules checked after every run (key unique and present, required columns filled,
line arithmetic, every line has its order) decompose by row or by key: a table that passed at
version S and was since changed can only break them through what changed after S. After a
passed check records the version it checked (the lake's progress log, under
``silver_checks/<table>/<check>``), the next run reads the table's NET change data feed after
that version (resources/lake_changes.py): images equal before and after cancel, so what is
left is exactly the rows the table gained (present now, not at S) and lost (present at S, not
now). Then, with V the current version:

- a per-row rule (required columns filled, a line's amount adds up) holds at V when it holds
  for the rows gained: every other row of V was a row of S, which passed. The gained rows are
  the feed itself: no scan of the table (:meth:`Scope.gained`).
- key unique and present: a key held by two rows of V was held by at most one at S, so V
  gained a row of it; a null key of V is a gained row. So the current rows of the gained keys
  (a key-filtered scan of the key columns, which the clustering prunes) plus the gained rows
  with a null key hold every offender.
- every line has its order: see quality/checks.py ``every_line_has_its_order``.

An incremental night thus checks one day's keys, not the history.

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
from retail_platform.resources.lake_changes import AFTER, BEFORE, CHANGE_TYPE, COMMIT_VERSION
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
    """The net feed after ``since`` (rows lost and gained), when ``since`` is set: every
    column, or only those the check asked for (then netted on them)."""

    @property
    def mode(self) -> str:
        return WHOLE if self.since is None else CHANGED

    def current(self, lake: LakeResource) -> pl.LazyFrame:
        return lake.scan(SILVER, self.table, self.version)

    def _images(self, images: Sequence[str]) -> pl.DataFrame:
        if self.changes is None:
            raise ValueError(f"silver.{self.table}: a whole-table scope has no changes")
        rows = self.changes.filter(pl.col(CHANGE_TYPE).is_in(list(images)))
        return rows.drop(CHANGE_TYPE, COMMIT_VERSION, strict=False)

    def gained(self) -> pl.DataFrame:
        """The rows present at ``version`` that were not at ``since`` (the net feed's
        inserted and post-update images)."""
        return self._images(AFTER)

    def changed_keys(self, key: Sequence[str], images: Sequence[str] = AFTER) -> pl.DataFrame:
        """The distinct non-null keys of the changed rows of the given images."""
        return self._images(images).select(key).drop_nulls().unique()

    def removed_keys(self, key: Sequence[str]) -> pl.DataFrame:
        """Keys that lost a row and gained none since ``since`` (e.g. an order no longer
        valid): the only keys whose rows of ``since`` can all be gone now. An updated key
        lost a row and gained one: it is still there."""
        lost = self.changed_keys(key, BEFORE)
        return lost.join(self.changed_keys(key), on=list(key), how="anti")

    def key_rows(self, lake: LakeResource, key: Sequence[str]) -> pl.DataFrame:
        """The key columns of every current row of a gained key, plus the gained rows with
        a null key (they match no key): where a repeated or missing key can be."""
        columns = list(key)
        gained = self.gained().select(columns)
        of_keys = rows_with_keys(self.current(lake).select(columns), gained.drop_nulls(), columns)
        null_keyed = gained.filter(pl.any_horizontal(pl.col(columns).is_null()))
        return pl.concat([of_keys.collect(), null_keyed], how="vertical_relaxed")


def scope_of(
    lake: LakeResource,
    table: str,
    check: str,
    owner: str | None = None,
    columns: Sequence[str] | None = None,
) -> Scope:
    """The rows ``check`` (of ``silver.owner``, default ``table``) reads in ``silver.table``
    on this run (module docstring). ``columns``: read only these of the feed, netted on them
    (for a rule that depends on no other column)."""
    version = lake.version(SILVER, table)
    recorded = lake.progress(CHECKS_LAYER, f"{owner or table}/{check}", table)
    whole = Scope(table, version, None)
    if recorded is None or recorded.source_version > version:
        return whole
    since = recorded.source_version
    if since == version:
        return Scope(table, version, since, _no_changes(lake, table, version, columns))
    if lake.replaced_whole_after(SILVER, table, since):
        return whole
    changes = lake.changes(
        SILVER, table, since, version, columns=columns, net_on_columns=columns is not None
    )
    if changes is None:
        return whole
    wanted = pl.col(CHANGE_TYPE).is_in([*AFTER, *BEFORE])
    return Scope(table, version, since, changes.filter(wanted).collect())


def _no_changes(
    lake: LakeResource, table: str, version: int, columns: Sequence[str] | None
) -> pl.DataFrame:
    empty = lake.scan(SILVER, table, version).head(0)
    empty = empty.select(columns) if columns is not None else empty
    return empty.collect().with_columns(pl.lit(None, pl.String).alias(CHANGE_TYPE))


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
