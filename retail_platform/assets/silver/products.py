"""bronze products -> silver products and the products quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import bronze, silver

PRODUCTS = SilverEntity(
    source=bronze.PRODUCTS,
    silver=silver.PRODUCTS,
    validate=deferred("products", "validate_products"),
    finish=deferred("products", "silver_products"),
    version_column="updated_at",
)

silver_products_assets = incremental_entity_asset(
    PRODUCTS,
    name="silver_products_assets",
    description="The catalog at the latest version of each product.",
)
