"""bronze inventory -> silver inventory and its quarantine (incrementally)."""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.keys import INVENTORY_KEY

INVENTORY = SilverEntity(
    source=bronze.INVENTORY,
    silver=silver.INVENTORY,
    validate=deferred("inventory", "validate_inventory"),
    finish=deferred("inventory", "silver_inventory"),
    # A snapshot has no change time: the latest ingestion of a (date, warehouse, sku) wins.
    version_column="ingested_at",
    key_readers=INVENTORY_KEY,
)

silver_inventory_assets = incremental_entity_asset(
    INVENTORY,
    name="silver_inventory_assets",
    description="Daily stock per warehouse and sku; reserved never exceeds on hand.",
)
