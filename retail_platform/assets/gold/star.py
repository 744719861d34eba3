"""silver -> gold: the star schema (dimensions and facts) and the marts (retention, daily KPIs).

Every gold asset publishes its column lineage (declared in contracts/gold*.py) as
`dagster/column_lineage` on the definition and on each materialization (Dagster+ draws it);
the column schema's descriptions name the same upstream columns (assets/contract_metadata.py),
which is what the open-source UI shows.
"""

from typing import Any

import dagster as dg
import polars as pl

from retail_platform.assets.contract_metadata import column_lineage
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
from retail_platform.transforms.gold.customers import build_dim_customer
from retail_platform.transforms.gold.dimensions import (
    build_dim_date_spanning,
    build_dim_partner,
    build_dim_product,
)

KINDS = {"delta", "polars"}


def _silver(table: str) -> dg.AssetIn:
    return dg.AssetIn(key=["silver", table])


def _gold(table: str) -> dg.AssetIn:
    return dg.AssetIn(key=["gold", table])


def _dims(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["gold", table]) for table in tables]


def _silver_deps(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["silver", table]) for table in tables]


def fact_output(contract: TableContract, piece: GoldSlice) -> dg.Output[GoldSlice]:
    """A fact's slice (the IO manager audits and publishes it and reports its refresh mode):
    UI metadata only for a whole build, a slice's totals are not the table's."""
    metadata: dict[str, object] = {}
    lineage = column_lineage(contract)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    if piece.whole:
        metadata = {**gold_ui_metadata(contract.name, piece.rows), **metadata}
    return dg.Output(piece, metadata=metadata)


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


def gold_output(
    contract: TableContract, frame: pl.DataFrame, **metadata: object
) -> dg.Output[pl.DataFrame]:
    lineage = column_lineage(contract)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    # Date range, currencies, totals and KPIs as numbers: the UI plots them over time.
    metadata = {**gold_ui_metadata(contract.name, frame), **metadata}
    return dg.Output(frame, metadata=metadata)


@dg.asset(
    **gold_asset_kwargs(
        gold.DIM_CUSTOMER, ins={"customers": _silver("customers"), "orders": _silver("orders")}
    )
)
def dim_customer(
    customers: pl.LazyFrame, orders: pl.LazyFrame, lake: LakeResource
) -> dg.Output[pl.DataFrame]:
    """Keeps its own history: each build compares silver with the previous dim_customer."""
    previous = None
    if lake.exists("gold", "dim_customer"):
        stored = lake.scan("gold", "dim_customer")
        # A table from before a contract change cannot carry history forward: start anew.
        if stored.collect_schema() == gold.DIM_CUSTOMER.polars_schema:
            previous = stored.collect().lazy()
    frame = build_dim_customer(customers, orders, previous).collect()
    current = frame.filter(pl.col("is_current") & (pl.col("customer_key") != -1))  # not unknown
    return gold_output(
        gold.DIM_CUSTOMER,
        frame,
        customers=current.height,
        versions=frame.height,
        customers_with_history=frame.filter(pl.col("version") > 1)
        .get_column("customer_id")
        .n_unique(),
    )


@dg.asset(**gold_asset_kwargs(gold.DIM_PRODUCT, ins={"products": _silver("products")}))
def dim_product(products: pl.LazyFrame) -> dg.Output[pl.DataFrame]:
    return gold_output(gold.DIM_PRODUCT, build_dim_product(products).collect())


@dg.asset(**gold_asset_kwargs(gold.DIM_PARTNER, ins={"partners": _silver("partners")}))
def dim_partner(partners: pl.LazyFrame) -> dg.Output[pl.DataFrame]:
    return gold_output(gold.DIM_PARTNER, build_dim_partner(partners).collect())


@dg.asset(
    **gold_asset_kwargs(
        gold.DIM_DATE,
        ins={
            "orders": _silver("orders"),
            "payments": _silver("payments"),
            "partner_sales": _silver("partner_sales"),
        },
    )
)
def dim_date(
    orders: pl.LazyFrame, payments: pl.LazyFrame, partner_sales: pl.LazyFrame
) -> dg.Output[pl.DataFrame]:
    """Spans the first to the last date of any fact, so every fact date resolves."""
    dates = pl.concat(
        [
            orders.select(pl.col("order_date").alias("date")),
            payments.select(pl.col("payment_date").alias("date")),
            partner_sales.select(pl.col("invoice_date").alias("date")),
        ]
    )
    frame = build_dim_date_spanning(dates).collect()
    if frame.is_empty():
        raise ValueError("dim_date: silver orders, payments and partner sales are all empty")
    first, last = frame.get_column("date").min(), frame.get_column("date").max()
    return gold_output(gold.DIM_DATE, frame, first_date=str(first), last_date=str(last))


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
    return fact_output(
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
    return fact_output(gold.FACT_PAYMENTS, refresh_fact_payments(lake, gold_run(context, config)))


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
    return fact_output(gold.FACT_PARTNER_SALES, piece)


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
    return fact_output(gold.FACT_CUSTOMER_RETENTION, piece)


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
    output = fact_output(gold.KPI_DAILY, piece)
    if piece.whole:
        return output
    # The KPI plots follow the whole table: kpi_daily is one row a day, so the table as it
    # will be after this slice's publish is cheap to assemble.
    ui = gold_ui_metadata(gold.KPI_DAILY.name, kpi_daily_after(lake, piece))
    return dg.Output(piece, metadata={**ui, **output.metadata})
