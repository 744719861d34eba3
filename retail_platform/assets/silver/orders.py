"""bronze orders -> silver orders, order lines and the orders quarantine."""

import dagster as dg
import polars as pl

from retail_platform.assets.silver.cleaning import clean
from retail_platform.assets.specs import asset_out
from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.orders import (
    silver_order_lines,
    silver_orders,
    validate_order_versions,
)

KINDS = {"delta", "polars"}
ORDERS_QUARANTINE = silver.quarantine_of(bronze.ORDERS)


@dg.multi_asset(
    outs={
        "orders": asset_out("silver", silver.ORDERS, KINDS),
        "order_lines": asset_out("silver", silver.ORDER_LINES, KINDS),
        "orders_quarantine": asset_out("silver", ORDERS_QUARANTINE, KINDS),
    },
    ins={"bronze_orders": dg.AssetIn(key=["bronze", "orders"])},
)
def silver_orders_assets(
    context: dg.AssetExecutionContext, bronze_orders: pl.LazyFrame
) -> tuple[dg.Output[pl.DataFrame], dg.Output[pl.DataFrame], dg.Output[pl.DataFrame]]:
    """Orders at their latest valid version; invalid versions go to quarantine with the reason."""
    cleaned = clean(
        bronze_orders, bronze.ORDERS, validate_order_versions, ["order_id"], "updated_at"
    )
    orders = silver_orders(cleaned.latest.lazy()).collect()
    lines = silver_order_lines(cleaned.latest.lazy()).collect()
    if cleaned.quarantined.height:
        context.log.warning(
            f"silver orders: {cleaned.quarantined.height} order versions quarantined"
        )
    return (
        dg.Output(orders, metadata=cleaned.metadata),
        dg.Output(lines, metadata={"rows": lines.height}),
        dg.Output(cleaned.quarantined, metadata={"rows": cleaned.quarantined.height}),
    )
