"""Silver inventory: daily stock snapshots per warehouse and sku, typed and validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.keys import INVENTORY_KEY
from retail_platform.transforms.silver.rules import NOT_NEGATIVE, CheckedSchema, apply_schema
from retail_platform.transforms.silver.validation import (
    REASON,
    date_unparsed,
    ingestion_error_rule,
    keep_source_columns,
    parse_integer,
    source,
    source_column_names,
    unparsed_rule,
)

_PAYLOAD = [name for name in bronze.INVENTORY.column_names if not name.startswith("_")]
_COUNTS = ("on_hand", "reserved", "reorder_point")


class StockSchema(CheckedSchema):
    snapshot_date = dy.Date(nullable=False)
    warehouse_id = dy.String(nullable=False)
    sku = dy.String(nullable=False)
    on_hand = dy.Int32(nullable=False, check={"not_negative": NOT_NEGATIVE})
    reserved = dy.Int32(nullable=False, check={"not_negative": NOT_NEGATIVE})
    reorder_point = dy.Int32(nullable=False, check={"not_negative": NOT_NEGATIVE})
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "reserved_within_on_hand": "reserved: exceeds on_hand"
    }

    @dy.rule()
    def reserved_within_on_hand(cls) -> pl.Expr:
        return pl.col("reserved") <= pl.col("on_hand")


def validate_inventory(bronze_inventory: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze stock row; no row is dropped."""
    frame = keep_source_columns(bronze_inventory, _PAYLOAD)
    counts = {name: parse_integer(source(name)) for name in _COUNTS}
    typed = frame.with_columns(
        # Read as incremental runs read the key (keys.py): the same row, the same silver key.
        **{name: read(source(name)) for name, read in INVENTORY_KEY.items()},
        **counts,
        available=counts["on_hand"] - counts["reserved"],
        ingested_at=pl.col("_ingested_at"),
    )
    validated = apply_schema(
        typed,
        StockSchema,
        unparsed={
            "snapshot_date": date_unparsed("snapshot_date"),
            **{
                name: unparsed_rule(name, source(name), parsed, "an integer")
                for name, parsed in counts.items()
            },
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(bronze_inventory, _PAYLOAD)
    return validated.select(*silver.INVENTORY.column_names, REASON, *trailing)


def silver_inventory(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    return conform(valid_latest, silver.INVENTORY)
