"""bronze customers -> PII masked by policy -> silver customers and the customers quarantine.

Masking runs before validation, so neither silver nor its quarantine ever holds raw PII.
"""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import silver

CUSTOMERS = SilverEntity(
    source=silver.MASKED_CUSTOMERS,
    silver=silver.CUSTOMERS,
    validate=deferred("customers", "validate_customers"),
    finish=deferred("customers", "silver_customers"),
    version_column="updated_at",
)

silver_customers_assets = incremental_entity_asset(
    CUSTOMERS,
    name="silver_customers_assets",
    description="Customers at their latest version, masked by the policy in retail_platform/pii/.",
)
