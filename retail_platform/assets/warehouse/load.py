"""gold -> Snowflake: each gold table loaded atomically into RETAIL.GOLD.<NAME>.

Facts with a foreign key to dim_date load incrementally: only the dates whose rows changed
are staged and merged on the primary key. Every other table is replaced whole when (and only
when) its content changed. Facts wait for the dimensions they reference, so a BI refresh
never finds a fact row whose dimension row is not there yet.
"""

import dagster as dg
import polars as pl

from retail_platform.assets.contract_metadata import asset_metadata
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import TableContract
from retail_platform.resources.warehouse import LoadResult, SnowflakeWarehouse, WarehouseColumn

DATE_DIMENSION = "dim_date"
MAX_LISTED_PARTITIONS = 20


def incremental_partition_column(contract: TableContract) -> str | None:
    """The date key a fact is loaded by: its non-null foreign key to dim_date, if any."""
    if not contract.name.startswith("fact_") or not contract.primary_key:
        return None
    for column, referenced in contract.foreign_keys.items():
        if referenced == DATE_DIMENSION and not contract.column(column).nullable:
            return column
    return None


def _listed(partitions: tuple[str, ...]) -> str:
    shown = ", ".join(partitions[:MAX_LISTED_PARTITIONS])
    more = len(partitions) - MAX_LISTED_PARTITIONS
    return shown + (f" (+{more} more)" if more > 0 else "")


def load_metadata(result: LoadResult) -> dict[str, object]:
    return {
        "dagster/row_count": result.row_count,
        "table": result.table,
        "load_mode": result.mode,
        "rows_loaded": result.rows_loaded,
        "rows_merged": result.rows_merged,
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_deleted": result.rows_deleted,
        "partitions_loaded": len(result.partitions_loaded),
        "partitions_loaded_list": _listed(result.partitions_loaded),
        "partitions_removed": len(result.partitions_removed),
        "unchanged": result.unchanged,
        "table_change": result.target_change,
        "checksum": result.checksum,
        "load_id": result.load_id,
        "duration_s": round(result.duration_s, 3),
        "query_ids": ", ".join(result.query_ids),
    }


def build_warehouse_asset(contract: TableContract) -> dg.AssetsDefinition:
    partition_column = incremental_partition_column(contract)
    mode = f"incremental by {partition_column}" if partition_column else "full"
    gold_names = {table.name for table in GOLD_TABLES}
    dimensions = sorted(
        {ref for ref in contract.foreign_keys.values() if ref in gold_names} - {contract.name}
    )

    @dg.asset(
        name=contract.name,
        key_prefix="warehouse",
        group_name="warehouse",
        kinds={"snowflake", "polars"},
        description=f"{contract.description} Loaded into Snowflake as {contract.name.upper()}.",
        metadata={**asset_metadata(contract), "load_mode": mode},
        tags=contract.asset_tags(),
        ins={"gold_table": dg.AssetIn(key=["gold", contract.name])},
        deps=[dg.AssetKey(["warehouse", name]) for name in dimensions],
    )
    def _load(
        context: dg.AssetExecutionContext, gold_table: pl.LazyFrame, warehouse: SnowflakeWarehouse
    ) -> dg.MaterializeResult:
        frame = gold_table.collect()
        result = warehouse.load_table(
            contract.name,
            frame,
            columns=[WarehouseColumn(c.name, c.description) for c in contract.columns],
            primary_key=contract.primary_key,
            table_description=contract.description,
            partition_column=partition_column,
            load_id=context.run.run_id,
            on_step=lambda step: context.log.debug(f"{contract.name}: {step}"),
        )
        if result.unchanged:
            context.log.info(f"{result.table} already holds this gold version: nothing written")
        else:
            context.log.info(
                f"{result.table}: {result.mode} load of {result.rows_loaded} rows "
                f"({len(result.partitions_loaded)} partitions): {result.rows_inserted} inserted, "
                f"{result.rows_updated} updated, {result.rows_deleted} deleted"
            )
        return dg.MaterializeResult(metadata=load_metadata(result))

    return _load


warehouse_assets = [build_warehouse_asset(contract) for contract in GOLD_TABLES]
