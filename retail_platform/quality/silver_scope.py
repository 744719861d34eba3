"""What a silver check reads: what was written since it last passed, or the whole table.

The silver rules checked after every run (key unique and present, required columns filled,
line arithmetic, every line has its order) decompose by row or by key: a table that passed at
version S and was since changed can only break them through what was written after S. After a
passed check records the version it checked (the lake's progress log, under
``silver_checks/<table>/<check>``), the next run reads the table's change data feed after that
version (resources/lake_changes.py): the rows each commit removed (delete, pre-update images)
and added (insert, post-update images). With V the current version:

- a per-row rule (required columns filled, a line's amount adds up) can only fail at V on a
  row added after S: every other row of V was a row of S, which passed. So the rule runs on
  the added images as written (no netting, no scan of the table); an image that breaks it is
  an offender only if that very row is still in V (a later commit may have replaced it): the
  few offenders are looked up among V's rows of their keys (:meth:`Scope.still_present`).
- key unique and present: the feed counts exactly how many rows of each key V holds more
  than S did (added minus removed images). S held at most one per key and no null key, so a
  key gaining two is repeated, a null key gaining any is present, a key gaining none is fine,
  and only a key gaining exactly one (a new key, usually) needs V's rows of it: a key-filtered
  scan of the key columns, which the clustering prunes to the newest files
  (:meth:`Scope.key_rows`). An updated key (one image removed, one added) costs nothing.
- every line has its order: quality/checks.py ``scoped_lines_and_orders``, on feeds netted
  on the key columns (what is left is what each table gained and lost over the range).

An incremental night thus reads one day's changes, not the history.

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
    """The feed after ``since`` (rows removed and added), when ``since`` is set: as written,
    or net (images equal before and after cancel) on every column or on those asked for."""

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

    def written(self) -> pl.DataFrame:
        """The rows added since ``since`` (insert and post-update images). Of a net feed:
        exactly the rows present now that were not then; of a raw one, also rows added and
        replaced since (see :meth:`still_present`)."""
        return self._images(AFTER)

    def changed_keys(self, key: Sequence[str], images: Sequence[str] = AFTER) -> pl.DataFrame:
        """The distinct non-null keys of the changed rows of the given images."""
        return self._images(images).select(key).drop_nulls().unique()

    def removed_keys(self, key: Sequence[str]) -> pl.DataFrame:
        """Of a net feed: keys that lost a row and gained none since ``since`` (e.g. an order
        no longer valid), the only keys whose rows of ``since`` can all be gone now. An
        updated key lost a row and gained one: it is still there."""
        lost = self.changed_keys(key, BEFORE)
        return lost.join(self.changed_keys(key), on=list(key), how="anti")

    def key_rows(self, lake: LakeResource, key: Sequence[str]) -> pl.DataFrame:
        """Key columns of rows of the current version holding every repeated or null key,
        given that ``since`` had neither (module docstring): per key, the rows added minus
        removed since is how many more rows of it the table holds now."""
        if self.changes is None:
            raise ValueError(f"silver.{self.table}: a whole-table scope has no changes")
        columns = list(key)
        added = pl.col(CHANGE_TYPE).is_in(list(AFTER))
        gain = (
            self.changes.filter(pl.col(CHANGE_TYPE).is_in([*AFTER, *BEFORE]))
            .group_by(columns)
            .agg(_gain=pl.when(added).then(1).otherwise(-1).sum())
            .filter(pl.col("_gain") > 0)
        )
        null_key = pl.any_horizontal(pl.col(columns).is_null())
        # A null key is new (``since`` had none) and a key gaining two is repeated whatever
        # ``since`` held: the table holds (at least) _gain rows of each, repeated here.
        flagged = gain.filter(null_key | (pl.col("_gain") > 1)).select(
            pl.col(column).repeat_by("_gain").explode() for column in columns
        )
        # Gaining exactly one: repeated only if ``since`` held it too; the table tells.
        one = gain.filter(~null_key & (pl.col("_gain") == 1)).select(columns)
        of_keys = rows_with_keys(self.current(lake).select(columns), one, columns).collect()
        return pl.concat([of_keys, flagged], how="vertical_relaxed")

    def still_present(
        self, lake: LakeResource, rows: pl.DataFrame, key: Sequence[str]
    ) -> pl.DataFrame:
        """The given written rows that the current version still holds, equal in every
        column (an offender written and corrected since is no offender)."""
        if rows.is_empty():
            return rows
        columns = list(key)
        current = self.current(lake)
        of_keys = rows_with_keys(current, rows.select(columns).drop_nulls().unique(), columns)
        null_keyed = current.filter(pl.any_horizontal(pl.col(columns).is_null()))
        if rows.select(pl.any_horizontal(pl.col(columns).is_null()).any()).item():
            of_keys = pl.concat([of_keys, null_keyed])
        held = of_keys.select(rows.columns).unique().collect()
        return rows.join(held, on=rows.columns, how="semi", nulls_equal=True)


def scope_of(
    lake: LakeResource,
    table: str,
    check: str,
    owner: str | None = None,
    columns: Sequence[str] | None = None,
    net: bool = True,
) -> Scope:
    """The rows ``check`` (of ``silver.owner``, default ``table``) reads in ``silver.table``
    on this run (module docstring). ``columns``: read only these of the feed (netted on them,
    for a rule that depends on no other column); ``net=False``: the images as written."""
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
        SILVER,
        table,
        since,
        version,
        columns=columns,
        net_on_columns=columns is not None and net,
        net=net,
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
