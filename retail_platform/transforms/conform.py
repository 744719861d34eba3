"""Shape a frame to a table contract: exactly its columns, in its order, with its dtypes."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import TableContract


class ContractMismatchError(ValueError):
    """The frame lacks columns that the contract requires."""


def conform(frame: pl.LazyFrame, contract: TableContract) -> pl.LazyFrame:
    """Select the contract's columns in contract order and cast each strictly to its dtype.

    Extra columns are dropped; a missing column raises at once (naming the table and columns)
    rather than at collect time. Strict casts mean a value that does not fit the contract type
    fails the run instead of silently becoming null.
    """
    available = set(frame.collect_schema().names())
    missing = [name for name in contract.column_names if name not in available]
    if missing:
        raise ContractMismatchError(
            f"frame for table {contract.name!r} lacks contract columns: {', '.join(missing)}"
        )
    return frame.select(
        pl.col(column.name).cast(column.dtype, strict=True) for column in contract.columns
    )
