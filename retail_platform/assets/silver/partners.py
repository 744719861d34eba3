"""bronze partners and partner sales -> silver, each with its quarantine (incrementally)."""

import polars as pl

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import bronze, silver
from retail_platform.feeds.profiles import shipped_profiles
from retail_platform.transforms.silver.keys import PARTNER_SALES_KEY


def _validate_partner_sales(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Each partner's file read as its feed profile (feeds/partner_feeds.yaml) says; the
    transform (and dataframely) is imported when a run calls it, not at load time."""
    from retail_platform.transforms.silver.partner_sales import validate_partner_sales

    return validate_partner_sales(rows, shipped_profiles())


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
    validate=_validate_partner_sales,
    finish=deferred("partner_sales", "silver_partner_sales"),
    # A sales line has no change time: the latest ingestion of a line wins.
    version_column="ingested_at",
    key_readers=PARTNER_SALES_KEY,
    # Listed date formats are chosen per file (transforms/silver/feed_values.py).
    validated_per="_source_key",
)

silver_partners_assets = incremental_entity_asset(
    PARTNERS,
    name="silver_partners_assets",
    description="The partner directory; contact emails keep only their domain.",
)

silver_partner_sales_assets = incremental_entity_asset(
    PARTNER_SALES,
    name="silver_partner_sales_assets",
    description="Partner sales lines read with each partner's feed profile; cancellations and "
    "returns are negative.",
)
