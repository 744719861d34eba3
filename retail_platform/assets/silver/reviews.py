"""bronze reviews -> free text redacted by policy -> silver reviews and their quarantine."""

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.deferred import deferred
from retail_platform.assets.silver.incremental import incremental_entity_asset
from retail_platform.contracts import silver

REVIEWS = SilverEntity(
    source=silver.MASKED_REVIEWS,
    silver=silver.REVIEWS,
    validate=deferred("reviews", "validate_reviews"),
    finish=deferred("reviews", "silver_reviews"),
    version_column="updated_at",
)

silver_reviews_assets = incremental_entity_asset(
    REVIEWS,
    name="silver_reviews_assets",
    description="Reviews at their latest version; emails, phones and card numbers in the text "
    "are redacted by pattern.",
)
