"""bronze inventory -> silver inventory and its quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity, simple_entity_asset
from retail_platform.assets.silver.deferred import deferred
from retail_platform.contracts import bronze, silver

INVENTORY = SilverEntity(
    source=bronze.INVENTORY,
    silver=silver.INVENTORY,
    validate=deferred("inventory", "validate_inventory"),
    finish=deferred("inventory", "silver_inventory"),
    version_column="ingested_at",
)

silver_inventory_assets = simple_entity_asset(
    INVENTORY,
    name="silver_inventory_assets",
    description="Daily stock per warehouse and sku; reserved never exceeds on hand.",
)
