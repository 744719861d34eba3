"""Frames shaped like a contract's table: the given columns, every other column filled."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.contracts.model import TableContract


def _filler(dtype: pl.DataType) -> object:
    if dtype == pl.String:
        return "x"
    if dtype == pl.Boolean:
        return False
    if dtype == pl.Date:
        return date(2026, 10, 1)
    if isinstance(dtype, pl.Datetime):
        return datetime(2026, 10, 1, tzinfo=UTC)
    if isinstance(dtype, pl.Decimal):
        return Decimal("0")
    return 0


def table(contract: TableContract, **columns: list[object]) -> pl.DataFrame:
    """``contract``'s columns; those in ``columns`` as given, the rest a non-null filler."""
    unknown = set(columns) - set(contract.column_names)
    assert not unknown, f"not in {contract.name}: {unknown}"
    heights = {len(values) for values in columns.values()}
    assert len(heights) == 1, "give every column the same number of values"
    height = heights.pop()
    schema = contract.polars_schema
    data = {name: columns.get(name, [_filler(dtype)] * height) for name, dtype in schema.items()}
    return pl.DataFrame(data, schema=schema)
