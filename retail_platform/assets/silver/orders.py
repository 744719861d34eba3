"""bronze orders -> silver orders, order lines and the orders quarantine."""

from retail_platform.assets.silver.cleaning import (
    SilverEntity,
    SilverResults,
    clean,
    finish_entity,
    is_current_schema,
    materialized,
    merge_children,
    merge_latest,
    silver_multi_asset,
)
from retail_platform.contracts import bronze, silver
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.orders import (
    silver_order_lines,
    silver_orders,
    validate_order_versions,
)

ORDERS = SilverEntity(
    source=bronze.ORDERS,
    silver=silver.ORDERS,
    validate=validate_order_versions,
    finish=silver_orders,
    version_column="updated_at",
    extra_outputs=(silver.ORDER_LINES,),
)


def compute_orders(lake: LakeResource, pii_masking: PiiMaskingResource) -> SilverResults:
    cleaned = clean(lake.scan("bronze", "orders"), ORDERS, pii_masking)
    orders = silver_orders(cleaned.latest.lazy()).collect()
    # Lines exist only for the batch's versions: without a usable lines table, rebuild both.
    rebuild = not is_current_schema(lake, silver.ORDER_LINES)
    written = merge_latest(lake, silver.ORDERS, orders, "updated_at", rebuild=rebuild)
    # Lines follow the order versions that were merged: an older version never replaces them.
    merged_versions = written.winners.select("order_id", "updated_at")
    lines = silver_order_lines(
        cleaned.latest.lazy().join(merged_versions.lazy(), on=["order_id", "updated_at"])
    ).collect()
    lines_written = merge_children(lake, silver.ORDER_LINES, lines, ["order_id"])
    lines_result = materialized(lake, silver.ORDER_LINES, lines_written)
    return finish_entity(lake, ORDERS, cleaned, written, extra=[lines_result])


silver_orders_assets = silver_multi_asset(
    ORDERS,
    compute_orders,
    name="silver_orders_assets",
    description="Orders at their latest valid version and their lines; invalid versions go to "
    "quarantine with every rule they broke.",
)
