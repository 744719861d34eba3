"""bronze partners and partner sales -> silver, each with its quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity, simple_entity_asset
from retail_platform.contracts import bronze, silver
from retail_platform.feeds.profiles import shipped_profiles
from retail_platform.transforms.silver.partner_sales import (
    silver_partner_sales,
    validate_partner_sales,
)
from retail_platform.transforms.silver.partners import silver_partners, validate_partners

PARTNERS = SilverEntity(
    source=silver.MASKED_PARTNERS,
    silver=silver.PARTNERS,
    validate=validate_partners,
    finish=silver_partners,
    # The directory has no change time: the latest ingestion of a partner wins.
    version_column="ingested_at",
)

PARTNER_SALES = SilverEntity(
    source=bronze.PARTNER_SALES,
    silver=silver.PARTNER_SALES,
    # Each partner's file is read as its feed profile (feeds/partner_feeds.yaml) says.
    validate=lambda rows: validate_partner_sales(rows, shipped_profiles()),
    finish=silver_partner_sales,
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
    description="Partner sales lines read with each partner's feed profile; cancellations and "
    "returns are negative.",
)
