"""bronze orders -> silver orders, order lines and the orders quarantine (incrementally)."""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import ChildTable, incremental_entity_asset
from retail_platform.contracts import bronze, silver

ORDERS = SilverEntity(
    source=bronze.ORDERS,
    silver=silver.ORDERS,
    validate=deferred("orders", "validate_order_versions"),
    finish=deferred("orders", "silver_orders"),
    version_column="updated_at",
    extra_outputs=(silver.ORDER_LINES,),
)
# The lines of an order are those of its latest valid version: recomputed with the order.
ORDER_LINES = ChildTable(
    silver.ORDER_LINES, ("order_id",), deferred("orders", "silver_order_lines")
)

silver_orders_assets = incremental_entity_asset(
    ORDERS,
    name="silver_orders_assets",
    description="Orders at their latest valid version and their lines; invalid versions go to "
    "quarantine with every rule they broke.",
    children=ORDER_LINES,
)
