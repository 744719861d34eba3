"""How validation reads each silver business key from its bronze text: one definition for both.

An incremental silver run (assets/silver/incremental.py) finds the bronze rows of a key without
validating all of bronze: it reads the key columns of bronze with these readers and compares
them with the keys of the new batches. Validation types the same columns with the same readers,
so a row lands on the same silver key either way (the incremental property tests would miss
versions otherwise). A key column without a reader is read as trimmed text (``clean_text``),
as orders, payments, products, customers, reviews and partners are.

This module needs only Polars: the silver assets import it when Definitions load, whereas the
validations (and dataframely) are imported inside a run (assets/silver/deferred.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from retail_platform.transforms.silver.validation import clean_text, parse_date

KeyReader = Callable[[pl.Expr], pl.Expr]
"""The bronze text of one key column -> its silver key value (null when it cannot be read)."""


def invoice_number(text: pl.Expr) -> pl.Expr:
    """Partners write invoice numbers in either case (c536365 is C536365)."""
    return clean_text(text).str.to_uppercase()


PARTNER_SALES_KEY: Mapping[str, KeyReader] = {
    "partner_id": clean_text,
    "invoice_no": invoice_number,
    "stock_code": clean_text,
}
INVENTORY_KEY: Mapping[str, KeyReader] = {
    "snapshot_date": parse_date,
    "warehouse_id": clean_text,
    "sku": clean_text,
}


def read_key(column: str, readers: Mapping[str, KeyReader] | None = None) -> pl.Expr:
    """The silver value of key ``column`` read from the bronze column of the same name."""
    reader = (readers or {}).get(column, clean_text)
    return reader(pl.col(column))


def rows_with_keys(frame: pl.LazyFrame, keys: pl.DataFrame, key: Sequence[str]) -> pl.LazyFrame:
    """The rows of silver ``frame`` whose key is one of ``keys`` (values compared as stored;
    bronze keys are read first: transforms/silver/incremental.py ``rows_of_keys``): an
    ``is_in`` filter per column the Parquet reader prunes by file and row-group statistics,
    then an exact semi join for a composite key."""
    columns = list(key)
    if keys.is_empty():  # nothing changed: no scan at all (head(0) keeps the schema)
        return frame.head(0)
    narrowed = frame.filter(
        *(pl.col(column).is_in(keys.get_column(column).unique().implode()) for column in columns)
    )
    if len(columns) == 1:
        return narrowed
    return narrowed.join(keys.lazy(), on=columns, how="semi")
