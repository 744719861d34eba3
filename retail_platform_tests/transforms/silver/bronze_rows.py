"""Builds small bronze frames for the silver tests: payload as given, ingestion defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from retail_platform.contracts.model import TableContract

INGESTED_AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
INGESTION_DEFAULTS: dict[str, Any] = {
    "_partition_date": date(2026, 11, 1),
    "_source": "test",
    "_batch_id": "run-1",
    "_ingested_at": INGESTED_AT,
    "_source_key": "page-1",
    "_error": None,
    "_raw": None,
}


def bronze_frame(contract: TableContract, *rows: dict[str, Any]) -> pl.LazyFrame:
    """A bronze frame with exactly the contract's columns; unspecified payload is null."""
    names = contract.column_names
    filled = [{name: row.get(name, INGESTION_DEFAULTS.get(name)) for name in names} for row in rows]
    unknown = {key for row in rows for key in row} - set(names)
    assert not unknown, f"not in {contract.name}: {unknown}"
    return pl.LazyFrame(filled, schema=contract.polars_schema)
