"""Asset declarations built from table contracts, so every asset carries the same fields.

Each asset gets its contract's description, column schema (with PII tags), primary key and
a `pii` tag, plus its layer as group and key prefix.
"""

from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from retail_platform.assets.contract_metadata import asset_metadata
from retail_platform.contracts.model import TableContract
from retail_platform.transforms.bronze import Ingestion


def asset_kwargs(layer: str, contract: TableContract, kinds: Set[str]) -> dict[str, Any]:
    """Keyword arguments for `@dg.asset` that declare a contract's table in a layer."""
    return {
        "key": dg.AssetKey([layer, contract.name]),
        "group_name": layer,
        "description": contract.description,
        "metadata": asset_metadata(contract),
        "tags": contract.asset_tags(),
        "kinds": set(kinds),
    }


def asset_out(layer: str, contract: TableContract, kinds: Set[str]) -> dg.AssetOut:
    """The same declaration for one output of a multi-asset."""
    return dg.AssetOut(
        key=dg.AssetKey([layer, contract.name]),
        group_name=layer,
        description=contract.description,
        metadata=asset_metadata(contract),
        tags=contract.asset_tags(),
        kinds=set(kinds),
        io_manager_key="io_manager",
    )


def ingestion(context: dg.AssetExecutionContext, source: str) -> Ingestion:
    return Ingestion(source=source, batch_id=context.run.run_id, ingested_at=datetime.now(UTC))
