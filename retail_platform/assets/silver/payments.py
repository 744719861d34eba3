"""bronze payments -> silver payments and the payments quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import bronze, silver

PAYMENTS = SilverEntity(
    source=bronze.PAYMENTS,
    silver=silver.PAYMENTS,
    validate=deferred("payments", "validate_payments"),
    finish=deferred("payments", "silver_payments"),
    # A re-delivered attempt counts once; the later delivery of the same attempt wins.
    version_column="created_at",
)

silver_payments_assets = incremental_entity_asset(
    PAYMENTS,
    name="silver_payments_assets",
    description="Payment attempts, typed; one row per payment_id.",
)
