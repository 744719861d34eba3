"""silver -> gold: the star schema (dimensions and facts) and the marts (retention, daily KPIs).

Every gold asset publishes its column lineage (declared in contracts/gold*.py) as
`dagster/column_lineage` on the definition and on each materialization (Dagster+ draws it);
the column schema's descriptions name the same upstream columns (assets/contract_metadata.py),
which is what the open-source UI shows.
"""

from typing import Any

import dagster as dg

from retail_platform.assets.contract_metadata import column_lineage
from retail_platform.assets.gold.dimensions import (
    publish_dim_customer,
    publish_dim_date,
    publish_dim_partner,
    publish_dim_product,
)
from retail_platform.assets.gold.fact_refresh import (
    refresh_fact_order_lines,
    refresh_fact_partner_sales,
    refresh_fact_payments,
)
from retail_platform.assets.gold.increment import GoldRefreshConfig, GoldSlice, gold_run
from retail_platform.assets.gold.mart_refresh import (
    kpi_daily_after,
    refresh_fact_customer_retention,
    refresh_kpi_daily,
)
from retail_platform.assets.gold.ui_metadata import gold_ui_metadata
from retail_platform.assets.specs import asset_kwargs
from retail_platform.automation.policies import follow_upstreams_condition, pool_for
from retail_platform.contracts import gold
from retail_platform.contracts.model import TableContract
from retail_platform.quality.freshness import GOLD_FRESHNESS
from retail_platform.resources.lake import LakeResource

KINDS = {"delta", "polars"}


def _dims(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["gold", table]) for table in tables]


def _silver_deps(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["silver", table]) for table in tables]


def gold_asset_kwargs(contract: TableContract, **extra: Any) -> dict[str, Any]:
    """`@dg.asset` arguments of a gold table, its column lineage included; it follows its
    upstreams and writes under its table's pool (no retry: a rerun cannot fix bad data)."""
    kwargs = {
        **asset_kwargs("gold", contract, KINDS),
        "pool": pool_for(dg.AssetKey(["gold", contract.name])),
        "automation_condition": follow_upstreams_condition(),
        "freshness_policy": GOLD_FRESHNESS,
    }
    lineage = column_lineage(contract)
    if lineage is not None:
        kwargs["metadata"] = {**kwargs["metadata"], "dagster/column_lineage": lineage}
    return {**kwargs, **extra}


def slice_output(
    contract: TableContract, piece: GoldSlice, **metadata: object
) -> dg.Output[GoldSlice]:
    """A table's GoldSlice (the IO manager audits and publishes it and reports its refresh
    mode) with the column lineage; UI metadata only for a whole build: a slice's totals are
    not the table's (a build in parts gets them from the IO manager, after its commit)."""
    lineage = column_lineage(contract)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    if piece.whole and piece.parts is None:
        metadata = {**gold_ui_metadata(contract.name, piece.rows), **metadata}
    return dg.Output(piece, metadata=metadata)


# The dimensions read silver at the versions their plan records (assets/gold/dimensions.py),
# so silver is a dependency here, not a loaded input.
@dg.asset(**gold_asset_kwargs(gold.DIM_CUSTOMER, deps=_silver_deps("customers", "orders")))
def dim_customer(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Keeps its own history: each run compares the changed customers' silver rows with their
    previous versions in dim_customer."""
    piece, counts = publish_dim_customer(lake, gold_run(context, config))
    return slice_output(gold.DIM_CUSTOMER, piece, **counts)


@dg.asset(**gold_asset_kwargs(gold.DIM_PRODUCT, deps=_silver_deps("products")))
def dim_product(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    return slice_output(gold.DIM_PRODUCT, publish_dim_product(lake, gold_run(context, config)))


@dg.asset(**gold_asset_kwargs(gold.DIM_PARTNER, deps=_silver_deps("partners")))
def dim_partner(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    return slice_output(gold.DIM_PARTNER, publish_dim_partner(lake, gold_run(context, config)))


@dg.asset(
    **gold_asset_kwargs(gold.DIM_DATE, deps=_silver_deps("orders", "payments", "partner_sales"))
)
def dim_date(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Spans the first to the last date of any fact, so every fact date resolves."""
    piece, span = publish_dim_date(lake, gold_run(context, config))
    return slice_output(gold.DIM_DATE, piece, first_date=str(span.first), last_date=str(span.last))


@dg.asset(
    **gold_asset_kwargs(
        gold.FACT_ORDER_LINES,
        deps=[
            *_silver_deps("order_lines", "orders", "fx_rates", "products"),
            *_dims("dim_customer", "dim_product", "dim_date"),
        ],
    )
)
def fact_order_lines(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Rebuilt for the order dates its inputs' changes affect (assets/gold/fact_refresh.py)."""
    return slice_output(
        gold.FACT_ORDER_LINES, refresh_fact_order_lines(lake, gold_run(context, config))
    )


@dg.asset(
    **gold_asset_kwargs(
        gold.FACT_PAYMENTS,
        deps=[*_silver_deps("payments", "fx_rates"), *_dims("dim_date")],
    )
)
def fact_payments(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Rebuilt for the payment dates its inputs' changes affect (assets/gold/fact_refresh.py)."""
    return slice_output(gold.FACT_PAYMENTS, refresh_fact_payments(lake, gold_run(context, config)))


@dg.asset(
    **gold_asset_kwargs(
        gold.FACT_PARTNER_SALES,
        deps=[
            *_silver_deps("partner_sales", "products", "fx_rates", "partners"),
            *_dims("dim_partner", "dim_product", "dim_date"),
        ],
    )
)
def fact_partner_sales(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Rebuilt for the invoice dates its inputs' changes affect (assets/gold/fact_refresh.py)."""
    piece = refresh_fact_partner_sales(lake, gold_run(context, config))
    return slice_output(gold.FACT_PARTNER_SALES, piece)


@dg.asset(
    **gold_asset_kwargs(
        gold.FACT_CUSTOMER_RETENTION,
        deps=_dims("fact_order_lines", "dim_customer"),
    )
)
def fact_customer_retention(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Rebuilt for the cohorts the order facts' changes affect (assets/gold/mart_refresh.py)."""
    piece = refresh_fact_customer_retention(lake, gold_run(context, config))
    return slice_output(gold.FACT_CUSTOMER_RETENTION, piece)


@dg.asset(
    **gold_asset_kwargs(
        gold.KPI_DAILY,
        deps=_dims("fact_order_lines", "fact_payments", "dim_customer", "dim_date"),
    )
)
def kpi_daily(
    context: dg.AssetExecutionContext, config: GoldRefreshConfig, lake: LakeResource
) -> dg.Output[GoldSlice]:
    """Rebuilt for the dates the facts' changes affect (assets/gold/mart_refresh.py)."""
    piece = refresh_kpi_daily(lake, gold_run(context, config))
    output = slice_output(gold.KPI_DAILY, piece)
    if piece.whole:
        return output
    # The KPI plots follow the whole table: kpi_daily is one row a day, so the table as it
    # will be after this slice's publish is cheap to assemble.
    ui = gold_ui_metadata(gold.KPI_DAILY.name, kpi_daily_after(lake, piece))
    return dg.Output(piece, metadata={**ui, **output.metadata})
