"""Table contracts: one declaration per table that every layer reads.

A contract names each column, its Polars type, what it means and whether it holds PII. Assets
publish it as Dagster column schema metadata (rendered by `assets/contract_metadata.py`: this
package imports no Dagster), transforms cast to it, and the warehouse loader takes its
descriptions as column comments, so the three can never drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

MONEY = pl.Decimal(18, 2)
# Unit prices keep the 4 decimals partners deliver (14.665): a line is priced, then rounded to
# cents once. Power BI's fixed decimal also holds 4 places.
PRICE = pl.Decimal(18, 4)
RATE = pl.Decimal(9, 4)
TIMESTAMP = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str
    pii: str | None = None
    """PII class (email, phone, name, address, birth_date, free_text, ...) of the raw value."""
    masking: str | None = None
    """How the PII policy treats the column where it is produced (e.g. hmac_token, generalize)."""
    nullable: bool = True
    lineage: tuple[str, ...] = ()
    """Upstream columns this column is computed from, as "<layer>/<table>.<column>"."""


@dataclass(frozen=True)
class TableContract:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: dict[str, str] = field(default_factory=dict)
    """Column -> referenced gold table, e.g. {"customer_key": "dim_customer"}."""
    cluster_by: tuple[str, ...] = ()
    """Columns the lake sorts rows by on every write of the table (resources/lake_layout.py),
    so each data file holds a narrow range of them and delta-rs skips the files an
    incremental rewrite does not touch: the column its slice replaces filter on (a fact's
    date) or its merge key. Only a file's range of the leading column narrows those
    rewrites, so one column is usual (a multi-column sort costs more on every write). Empty:
    rows are written in the order they come."""

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({column.name: column.dtype for column in self.columns})

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def asset_tags(self) -> dict[str, str]:
        """Asset-level tags: whether any column carries PII, and which classes."""
        classes = sorted({column.pii for column in self.columns if column.pii})
        if not classes:
            return {"pii": "none"}
        return {"pii": "masked" if all(c.masking for c in self.columns if c.pii) else "raw"}


def parse_column_reference(reference: str) -> tuple[str, str, str]:
    """'silver/order_lines.line_amount' -> ('silver', 'order_lines', 'line_amount')."""
    table, _, column = reference.partition(".")
    layer, _, name = table.partition("/")
    if not (layer and name and column):
        raise ValueError(f"column reference {reference!r} is not '<layer>/<table>.<column>'")
    return layer, name, column


def columns(*specs: Column) -> tuple[Column, ...]:
    return tuple(specs)


def text_columns(names_and_descriptions: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """Bronze keeps source values as delivered text; this builds those columns."""
    return tuple(
        Column(name, pl.String, description) for name, description in names_and_descriptions
    )


def derived(
    name: str,
    dtype: pl.DataType,
    description: str,
    *lineage: str,
    nullable: bool = False,
    pii: str | None = None,
    masking: str | None = None,
) -> Column:
    """A column computed from upstream ones (``lineage`` as '<layer>/<table>.<column>');
    required unless ``nullable``."""
    return Column(name, dtype, description, pii, masking, nullable, tuple(lineage))


def copied(table: str, rows: Sequence[tuple[str, pl.DataType, str, str]]) -> tuple[Column, ...]:
    """Required columns taken from one upstream table: (name, dtype, description, source)."""
    return tuple(
        derived(name, dtype, text, f"{table}.{source}") for name, dtype, text, source in rows
    )
