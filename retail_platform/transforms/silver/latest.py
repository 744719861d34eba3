"""The latest version of each business key, and the merge sources silver is written with.

Silver tables are written with a Delta merge keyed on the business key. A key is recomputed from
all its bronze versions (assets/silver/incremental.py), reduced to one row per key
(:func:`latest_versions`), so a late-arriving old version can never overwrite a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

_TIED = "_tied"


def latest_versions(frame: pl.LazyFrame, key: Sequence[str], version_column: str) -> pl.LazyFrame:
    """Exactly one row per ``key``: the one with the highest ``version_column``.

    Exact duplicates collapse. Ties on the version (same key and version, different content)
    are broken deterministically, independent of input row order: the row that sorts highest
    on the remaining non-nested columns in schema order (nulls last) wins. A null version
    loses to any non-null one. Rows come out in no particular order.
    """
    schema = frame.collect_schema()
    key_columns = list(key)
    tie_breakers = [
        name
        for name, dtype in schema.items()
        if name != version_column and name not in key_columns and not dtype.is_nested()
    ]
    # Only rows holding their key's highest version can win; those of one key then share
    # their version (the highest, or null when the key has no other).
    highest = pl.col(version_column).max().over(key_columns)
    candidates = frame.filter((pl.col(version_column) == highest) | highest.is_null())
    tied = pl.len().over(key_columns) > 1
    candidates = candidates.with_columns(tied.alias(_TIED))
    # The wide sort (every column is a tie-breaker) runs only where key and version repeat.
    untied = candidates.filter(~pl.col(_TIED))
    resolved = candidates.filter(pl.col(_TIED))
    if tie_breakers:
        resolved = resolved.sort(tie_breakers, descending=True, nulls_last=True)
    resolved = resolved.unique(subset=key_columns, keep="first", maintain_order=True)
    return pl.concat([untied, resolved], how="vertical").drop(_TIED)


DELETE_FLAG = "_delete"


def as_deletes(keys: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Rows of ``schema`` flagged for deletion (``_delete = true``) holding only the key
    columns of ``keys``, the others null: the merge deletes a flagged row's match by key and
    never writes its values, so only the key columns of the table need to be read."""
    present = set(keys.collect_schema().names())
    return keys.select(
        *(
            pl.col(name) if name in present else pl.lit(None, dtype).alias(name)
            for name, dtype in schema.items()
        ),
        pl.lit(True).alias(DELETE_FLAG),
    )


def child_merge_source(
    new_children: pl.LazyFrame,
    current_children: pl.LazyFrame | None,
    parent_key: Sequence[str],
    child_key: Sequence[str],
) -> pl.LazyFrame:
    """What to merge into a child table (e.g. order lines) when parents get a new version.

    ``new_children`` are all children of the parents being written. Each gets
    ``_delete = false`` (insert or update); each current child of one of those parents that the
    new version no longer has is added with ``_delete = true`` (:func:`as_deletes`: its key,
    read from ``current_children``, with nulls), so the merge removes it. Children of other
    parents are untouched.
    """
    upserts = new_children.with_columns(pl.lit(False).alias(DELETE_FLAG))
    if current_children is None:
        return upserts
    parents = new_children.select(list(parent_key)).unique()
    keys = list(dict.fromkeys([*parent_key, *child_key]))
    stale = (
        current_children.select(keys)
        .join(parents, on=list(parent_key), how="semi")
        .join(new_children.select(list(child_key)), on=list(child_key), how="anti")
        .select(list(child_key))
    )
    return pl.concat([upserts, as_deletes(stale, new_children.collect_schema())], how="vertical")
