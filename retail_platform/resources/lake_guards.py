"""Guards of the lake's bounded writes: a write that replaces some rows by a predicate must
never carry a row the predicate does not reach, or the table would end up with rows the
write did not mean to keep. Each guard refuses the whole write, naming the table and how many
rows stray, and renders the write's predicate from typed values, never from raw text."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import polars as pl

from retail_platform.sql_text import plain_identifier, typed_literal


def values_predicate(
    name: str, frame: pl.DataFrame, column: str, values: Collection[object]
) -> str | None:
    """``column IN (values)`` for replacing those rows by ``frame``; None when ``values`` is
    empty. Refuses a frame with a row whose ``column`` is not one of ``values`` (or null)."""
    wanted = sorted(set(values), key=lambda value: (type(value).__name__, value))
    stray = frame.filter(~pl.col(column).is_in(wanted) | pl.col(column).is_null()).height
    if stray:
        raise ValueError(
            f"{name}: {stray} rows have a {column} outside the {len(wanted)} "
            "values being replaced; refusing to write them"
        )
    if not wanted:
        return None
    literals = ", ".join(typed_literal(value) for value in wanted)
    return f"{plain_identifier(column)} IN ({literals})"


def window_predicate(name: str, frame: pl.DataFrame, column: str, start: date, end: date) -> str:
    """``start <= column < end`` for replacing that date window by ``frame``. Refuses a frame
    with a row outside the window (or a null date)."""
    outside = frame.filter(
        (pl.col(column) < start) | (pl.col(column) >= end) | pl.col(column).is_null()
    ).height
    if outside:
        raise ValueError(
            f"{name}: {outside} rows fall outside the partition window "
            f"[{start}, {end}); refusing to write them"
        )
    quoted = plain_identifier(column)
    return f"{quoted} >= {typed_literal(start)} AND {quoted} < {typed_literal(end)}"
