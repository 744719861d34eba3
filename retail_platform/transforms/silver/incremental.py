"""Which silver keys a set of new bronze batches affects, and what to merge for them.

An incremental silver run (assets/silver/incremental.py) reprocesses the ingestion batches
whose rows entered or left bronze since its last run. Every business key those rows carry,
before or after the change, is *affected*: its silver row is recomputed from every bronze row
of that key (:func:`rows_of_keys`), so the latest-version rule, its tie-breaks and a corrected
(replaced) delivery give exactly what a full rebuild would. An affected key left without any
valid row is deleted from silver (:func:`vanished_rows`), as a full rebuild would not have it.

When the new batches only added rows (no file left bronze), most keys need none of their older
versions: silver already holds the latest of those (a full rebuild's row), so a key's newest
new version wins outright when it is newer than silver's, and changes nothing when it is
older (:func:`settle_by_current_version`). Only a tie with silver's version, or a key whose
new versions are all invalid, would need more; the former is recomputed from all its
versions, the latter keeps its silver row.

Keys are compared as validation reads them (transforms/silver/keys.py): trimmed text by
default, so ``' O1'`` and ``'O1'`` are the same order; upper-cased invoice numbers for partner
sales; a parsed date for inventory's snapshot date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from retail_platform.transforms.silver.keys import KeyReader, read_key
from retail_platform.transforms.silver.latest import DELETE_FLAG, as_deletes

_KEY_PREFIX = "_affected_"
DECISION = "_decision"
NEW_WINS, ALL_VERSIONS = "new_wins", "all_versions"
"""Keys whose newest new version is the winner; keys recomputed from every version."""
_CURRENT, _PRESENT = "_current_version", "_in_silver"


def cleaned_keys(
    bronze_rows: pl.LazyFrame,
    key: Sequence[str],
    readers: Mapping[str, KeyReader] | None = None,
) -> pl.LazyFrame:
    """The distinct keys of ``bronze_rows`` as validation reads them (``readers``, trimmed
    text by default); unreadable keys dropped (such a row is quarantined, never in silver)."""
    return (
        bronze_rows.select(read_key(column, readers).alias(column) for column in key)
        .drop_nulls()
        .unique()
    )


def rows_of_keys(
    bronze_rows: pl.LazyFrame,
    keys: pl.DataFrame,
    key: Sequence[str],
    readers: Mapping[str, KeyReader] | None = None,
) -> pl.LazyFrame:
    """The rows of ``bronze_rows`` whose key, read as validation reads it, is one of ``keys``
    (all their versions).

    A one-column key becomes a filter the Parquet reader applies while scanning (predicate
    pushdown); a composite key is first narrowed by the same filter on each of its columns
    (a new day's snapshot date or invoice numbers leave few rows), then matched exactly with
    a semi join.
    """
    if len(key) == 1:
        (column,) = key
        wanted = keys.get_column(column).implode()
        return bronze_rows.filter(read_key(column, readers).is_in(wanted))
    narrowed = bronze_rows.filter(
        *(
            read_key(column, readers).is_in(keys.get_column(column).unique().implode())
            for column in key
        )
    )
    aliases = [f"{_KEY_PREFIX}{column}" for column in key]
    cleaned = [
        read_key(column, readers).alias(alias) for column, alias in zip(key, aliases, strict=True)
    ]
    wanted_keys = keys.lazy().select(
        pl.col(column).alias(alias) for column, alias in zip(key, aliases, strict=True)
    )
    return narrowed.with_columns(cleaned).join(wanted_keys, on=aliases, how="semi").drop(aliases)


def settle_by_current_version(
    new_latest: pl.LazyFrame,
    current: pl.LazyFrame,
    key: Sequence[str],
    version_column: str,
) -> pl.LazyFrame:
    """Which keys of ``new_latest`` (the latest valid version of each key among rows only
    added to bronze) change silver, and how: ``key`` columns and ``_decision``.

    ``current`` is silver's rows of those keys. Silver holds, per key, the latest of all its
    older valid versions, so its version is their highest (null only when all are null). Then
    - a key silver lacks has no older valid version: its new latest wins (``new_wins``);
    - a non-null new version above silver's (or silver's null) is above every older version:
      the key's winners are all among the new rows, and the new latest wins (``new_wins``);
    - a new version below silver's changes nothing: the key is left out;
    - anything else (a tie with silver's version, where the tie-break needs the row silver
      won with; a null new version) is recomputed from all versions (``all_versions``).
    """
    columns = list(key)
    new = pl.col(version_column)
    held = pl.col(_CURRENT)
    silver = current.select(*columns, held=pl.col(version_column), present=pl.lit(True)).rename(
        {"held": _CURRENT, "present": _PRESENT}
    )
    joined = new_latest.select(*columns, version_column).join(silver, on=columns, how="left")
    wins = pl.col(_PRESENT).is_null() | (new.is_not_null() & (held.is_null() | (new > held)))
    loses = new.is_not_null() & held.is_not_null() & (new < held)
    decision = pl.when(wins).then(pl.lit(NEW_WINS)).when(loses).then(None)
    return (
        joined.with_columns(decision.otherwise(pl.lit(ALL_VERSIONS)).alias(DECISION))
        .drop_nulls(DECISION)
        .select(*columns, DECISION)
    )


def vanished_rows(
    current: pl.LazyFrame, affected: pl.LazyFrame, kept: pl.LazyFrame, key: Sequence[str]
) -> pl.LazyFrame:
    """Rows of ``current`` (silver) whose key is affected but not in ``kept``, flagged for
    deletion (``_delete = true``) in the silver merge."""
    columns = list(key)
    return (
        current.join(affected.select(columns), on=columns, how="semi")
        .join(kept.select(columns), on=columns, how="anti")
        .with_columns(pl.lit(True).alias(DELETE_FLAG))
    )


def merge_source(
    candidate: pl.LazyFrame,
    current: pl.LazyFrame,
    affected: pl.LazyFrame,
    key: Sequence[str],
) -> pl.LazyFrame:
    """What to merge into silver for the affected keys: every recomputed row (insert or
    update, ``_delete = false``) and the keys of the current rows of affected keys that have
    none left (``_delete = true``, other columns null: only ``current``'s keys are read)."""
    upserts = candidate.with_columns(pl.lit(False).alias(DELETE_FLAG))
    vanished = vanished_rows(current.select(list(key)), affected, candidate, key)
    deletes = as_deletes(vanished.drop(DELETE_FLAG), candidate.collect_schema())
    return pl.concat([upserts, deletes], how="vertical")


def children_of(
    children: pl.LazyFrame, parents: pl.LazyFrame, parent_key: Sequence[str]
) -> pl.LazyFrame:
    """The ``children`` rows (e.g. order lines) of ``parents``, flagged for deletion."""
    columns = list(parent_key)
    return children.join(parents.select(columns), on=columns, how="semi").with_columns(
        pl.lit(True).alias(DELETE_FLAG)
    )
