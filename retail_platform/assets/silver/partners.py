"""bronze partners and partner sales -> silver, each with its quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity, simple_entity_asset
from retail_platform.assets.silver.deferred import deferred
from retail_platform.contracts import bronze, silver

PARTNERS = SilverEntity(
    source=silver.MASKED_PARTNERS,
    silver=silver.PARTNERS,
    validate=deferred("partners", "validate_partners"),
    finish=deferred("partners", "silver_partners"),
    # The directory has no change time: the latest ingestion of a partner wins.
    version_column="ingested_at",
)

PARTNER_SALES = SilverEntity(
    source=bronze.PARTNER_SALES,
    silver=silver.PARTNER_SALES,
    validate=deferred("partners", "validate_partner_sales"),
    finish=deferred("partners", "silver_partner_sales"),
    version_column="ingested_at",
)

silver_partners_assets = simple_entity_asset(
    PARTNERS,
    name="silver_partners_assets",
    description="The partner directory; contact emails keep only their domain.",
)

silver_partner_sales_assets = simple_entity_asset(
    PARTNER_SALES,
    name="silver_partner_sales_assets",
    description="Partner sales lines; cancellations (C invoices) and returns are negative.",
)
