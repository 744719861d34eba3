"""gold -> Snowflake: each gold table loaded atomically into RETAIL.GOLD.<NAME>.

Facts with a foreign key to dim_date load incrementally: only the dates whose rows changed
are staged and merged on the primary key. Every other table is replaced whole when (and only
when) its content changed. Facts wait for the dimensions they reference, so a BI refresh
never finds a fact row whose dimension row is not there yet.

Only audited gold is published (write-audit-publish, docs/data-model.md): before anything
touches Snowflake, the loader asks the lake's audit log whether the gold version it is about
to load passed every blocking check (`quality/publish.py`), and refuses otherwise with a
message naming the table, the check and the version; Snowflake keeps its last good load. It
then reads exactly that version. A fact also refuses while Snowflake holds one of its
dimensions from an older gold version than the one the fact was audited against, so a fact
and its dimensions in Snowflake always come from audited builds that agree.
"""

from typing import Any

import dagster as dg
import polars as pl

from retail_platform.assets.contract_metadata import asset_metadata
from retail_platform.automation.policies import (
    WAREHOUSE_RETRY_POLICY,
    follow_upstreams_condition,
    pool_for,
)
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import TableContract
from retail_platform.quality.freshness import WAREHOUSE_FRESHNESS
from retail_platform.quality.publish import DimensionNotLoadedError, audited_version
from retail_platform.resources.lake import PUBLISHED, AuditRecord, LakeResource
from retail_platform.resources.warehouse import LoadResult, SnowflakeWarehouse, WarehouseColumn

DATE_DIMENSION = "dim_date"
GOLD, WAREHOUSE = "gold", "warehouse"
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
        "partitions_read": result.partitions_read,
        "files_staged": result.files_staged,
        "unchanged": result.unchanged,
        "table_change": result.target_change,
        "checksum": result.checksum,
        "load_id": result.load_id,
        "duration_s": round(result.duration_s, 3),
        "query_ids": ", ".join(result.query_ids),
    }


def build_warehouse_asset(
    contract: TableContract, retry_policy: dg.RetryPolicy | None = WAREHOUSE_RETRY_POLICY
) -> dg.AssetsDefinition:
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
        deps=[
            dg.AssetKey([GOLD, contract.name]),
            *(dg.AssetKey([WAREHOUSE, name]) for name in dimensions),
        ],
        pool=pool_for(dg.AssetKey([WAREHOUSE, contract.name])),
        retry_policy=retry_policy,  # the load is idempotent: a retry is safe
        automation_condition=follow_upstreams_condition(),
        freshness_policy=WAREHOUSE_FRESHNESS,
    )
    def _load(
        context: dg.AssetExecutionContext, lake: LakeResource, warehouse: SnowflakeWarehouse
    ) -> dg.MaterializeResult:
        audited = audited_version(lake, GOLD, contract.name)
        _require_dimensions_loaded(lake, contract.name, audited.input_versions())
        scope, scope_reason = load_scope(lake, contract.name, partition_column, audited.version)
        # Lazy: the loader reads the partitions it needs, in parts (resources/warehouse/parts.py)
        source = lake.scan(GOLD, contract.name, version=audited.version)
        result = warehouse.load_table(
            contract.name,
            source,
            columns=[WarehouseColumn(c.name, c.description) for c in contract.columns],
            primary_key=contract.primary_key,
            table_description=contract.description,
            partition_column=partition_column,
            load_id=context.run.run_id,
            on_step=lambda step: context.log.debug(f"{contract.name}: {step}"),
            scope=scope,
        )
        if result.unchanged:
            context.log.info(f"{result.table} already holds this gold version: nothing written")
        else:
            context.log.info(
                f"{result.table}: {result.mode} load of {result.rows_loaded} rows "
                f"({len(result.partitions_loaded)} partitions): {result.rows_inserted} inserted, "
                f"{result.rows_updated} updated, {result.rows_deleted} deleted"
            )
        # What Snowflake now holds, for the facts that reference this table (same pool only).
        lake.record_audit(
            WAREHOUSE,
            contract.name,
            AuditRecord(
                status=PUBLISHED,
                version=audited.version,
                run_id=context.run.run_id,
                checks=audited.record.checks,
                rows=result.row_count,
            ),
        )
        return dg.MaterializeResult(
            metadata={
                **load_metadata(result),
                "load_scope": scope_reason,
                "gold_version": audited.version,
                "audited_by_run": audited.record.run_id,
            }
        )

    return _load


def load_scope(
    lake: LakeResource, table: str, partition_column: str | None, version: int
) -> tuple[set[Any] | None, str]:
    """The partition values of gold `table` that can differ between the version Snowflake
    last received (the warehouse audit log) and `version`, and why; None: any can.

    An empty set when Snowflake already received `version`. For an incremental fact, the
    date keys of gold's net change feed over the versions in between: a row moved to another
    date shows both (its pre-image has the old date). Every partition when that cannot be
    told: no previous load, an older gold version than the last loaded, a table replaced
    whole (a rebuild), or a feed that cannot be read over the range.
    """
    loads = lake.audit_log(WAREHOUSE, table)
    if not loads:
        return None, "all partitions: no previous load"
    loaded = loads[-1].version
    if loaded == version:
        return set(), f"none: gold version {version} already loaded"
    if partition_column is None or loaded > version:
        return None, f"all: gold version {version}, last loaded {loaded}"
    if lake.replaced_whole_after(GOLD, table, loaded):
        return None, f"all partitions: gold {table} was replaced whole after version {loaded}"
    changes = lake.changes(GOLD, table, loaded, version, columns=[partition_column])
    if changes is None:
        return None, f"all partitions: no change feed from gold version {loaded} to {version}"
    values = changes.select(pl.col(partition_column).unique()).collect()
    return set(values.to_series().to_list()), (
        f"{values.height} partitions changed from gold version {loaded} to {version}"
    )


def _require_dimensions_loaded(
    lake: LakeResource, table: str, audited_against: dict[str, int]
) -> None:
    """Refuse a fact while Snowflake holds a dimension older than the one it was audited on;
    the load of that dimension catches up, so the step is retried (WAREHOUSE_RETRY_POLICY)."""
    for dimension, version in sorted(audited_against.items()):
        loads = lake.audit_log(WAREHOUSE, dimension)
        loaded = loads[-1].version if loads else None
        if loaded is None or loaded < version:
            raise DimensionNotLoadedError(
                f"refusing to load {GOLD}.{table}: it was audited (check foreign_keys_resolve) "
                f"against {GOLD}.{dimension} version {version}, but Snowflake holds "
                f"{dimension} from version {loaded if loaded is not None else 'none'}; "
                f"load {WAREHOUSE}/{dimension} first"
            )


warehouse_assets = [build_warehouse_asset(contract) for contract in GOLD_TABLES]
