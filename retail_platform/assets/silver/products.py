"""bronze products -> silver products and the products quarantine."""

import dagster as dg
import polars as pl

from retail_platform.assets.silver.cleaning import clean
from retail_platform.assets.specs import asset_out
from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.products import silver_products, validate_products

KINDS = {"delta", "polars"}


@dg.multi_asset(
    outs={
        "products": asset_out("silver", silver.PRODUCTS, KINDS),
        "products_quarantine": asset_out("silver", silver.quarantine_of(bronze.PRODUCTS), KINDS),
    },
    ins={"bronze_products": dg.AssetIn(key=["bronze", "products"])},
)
def silver_products_assets(
    bronze_products: pl.LazyFrame,
) -> tuple[dg.Output[pl.DataFrame], dg.Output[pl.DataFrame]]:
    """The catalog at the latest version of each product."""
    cleaned = clean(
        bronze_products, bronze.PRODUCTS, validate_products, ["product_id"], "updated_at"
    )
    products = silver_products(cleaned.latest.lazy()).collect()
    return (
        dg.Output(products, metadata=cleaned.metadata),
        dg.Output(cleaned.quarantined, metadata={"rows": cleaned.quarantined.height}),
    )
