"""Table contracts rendered as Dagster metadata: column schema, column lineage, asset metadata.

contracts/ holds the declarations as plain data (no Dagster, so transforms can use them); this
module is the one place that turns them into what the Dagster UI shows. Column lineage is
rendered twice from the same declaration: as `dagster/column_lineage` (shown by Dagster+) and
in each column's description ("Computed from ..."), which the open-source UI shows in the
asset's column table.
"""

from __future__ import annotations

import dagster as dg

from retail_platform.contracts.model import Column, TableContract, parse_column_reference

LINEAGE_PREFIX = "Computed from"


def column_description(column: Column) -> str:
    """The contract's description, plus the upstream columns it is computed from, if declared."""
    if not column.lineage:
        return column.description
    text = column.description.rstrip()
    separator = " " if text.endswith(".") else ". "
    return f"{text}{separator}{LINEAGE_PREFIX} {', '.join(column.lineage)}."


def column_schema(contract: TableContract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=str(column.dtype),
                description=column_description(column),
                tags=column_tags(column),
                constraints=dg.TableColumnConstraints(
                    nullable=column.nullable,
                    unique=contract.primary_key == (column.name,),
                ),
            )
            for column in contract.columns
        ]
    )


def column_tags(column: Column) -> dict[str, str]:
    tags: dict[str, str] = {}
    if column.pii:
        tags["pii"] = column.pii
    if column.masking:
        tags["pii_masking"] = column.masking
    return tags


def column_reference_key(reference: str) -> tuple[dg.AssetKey, str]:
    """'silver/order_lines.line_amount' -> (AssetKey(['silver', 'order_lines']), 'line_amount')."""
    layer, table, column = parse_column_reference(reference)
    return dg.AssetKey([layer, table]), column


def column_lineage(contract: TableContract) -> dg.TableColumnLineage | None:
    """Dagster column lineage from each column's ``lineage``; None when none is declared."""
    deps = {
        column.name: [
            dg.TableColumnDep(asset_key=key, column_name=name)
            for key, name in map(column_reference_key, column.lineage)
        ]
        for column in contract.columns
        if column.lineage
    }
    return dg.TableColumnLineage(deps_by_column=deps) if deps else None


def asset_metadata(contract: TableContract) -> dict[str, object]:
    """Definition-time metadata that the Dagster UI shows on the asset's page."""
    metadata: dict[str, object] = {"dagster/column_schema": column_schema(contract)}
    if contract.primary_key:
        metadata["primary_key"] = ", ".join(contract.primary_key)
    return metadata
