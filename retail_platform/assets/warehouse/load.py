"""gold -> Snowflake: each gold table loaded atomically into RETAIL.GOLD.<NAME>."""

import dagster as dg
import polars as pl

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import TableContract
from retail_platform.resources.warehouse import SnowflakeWarehouse, WarehouseColumn


def build_warehouse_asset(contract: TableContract) -> dg.AssetsDefinition:
    @dg.asset(
        name=contract.name,
        key_prefix="warehouse",
        group_name="warehouse",
        kinds={"snowflake", "polars"},
        description=f"{contract.description} Loaded into Snowflake as {contract.name.upper()}.",
        metadata=contract.asset_metadata(),
        tags=contract.asset_tags(),
        ins={"gold_table": dg.AssetIn(key=["gold", contract.name])},
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
        )
        context.log.info(f"loaded {result.rows_loaded} rows into {result.table}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_loaded,
                "table": result.table,
                "duration_s": round(result.duration_s, 3),
                "query_ids": ", ".join(result.query_ids),
            }
        )

    return _load


warehouse_assets = [build_warehouse_asset(contract) for contract in GOLD_TABLES]
