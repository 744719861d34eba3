"""bronze customers -> PII masked by policy -> silver customers and the customers quarantine.

Masking runs before validation, so neither silver nor its quarantine ever holds raw PII.
"""

import dagster as dg
import polars as pl

from retail_platform.assets.silver.cleaning import clean
from retail_platform.assets.specs import asset_out
from retail_platform.contracts import silver
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.customers import silver_customers, validate_customers

KINDS = {"delta", "polars"}


@dg.multi_asset(
    outs={
        "customers": asset_out("silver", silver.CUSTOMERS, KINDS),
        "customers_quarantine": asset_out(
            "silver", silver.quarantine_of(silver.MASKED_CUSTOMERS), KINDS
        ),
    },
    ins={"bronze_customers": dg.AssetIn(key=["bronze", "customers"])},
)
def silver_customers_assets(
    context: dg.AssetExecutionContext,
    bronze_customers: pl.LazyFrame,
    pii_masking: PiiMaskingResource,
) -> tuple[dg.Output[pl.DataFrame], dg.Output[pl.DataFrame]]:
    """Customers at their latest version, masked by the policy in retail_platform/pii/."""
    masked = pii_masking.mask(bronze_customers, "customers")
    cleaned = clean(
        masked, silver.MASKED_CUSTOMERS, validate_customers, ["customer_id"], "updated_at"
    )
    customers = silver_customers(cleaned.latest.lazy()).collect()
    context.log.info(f"silver customers: masked with policy version {pii_masking.policy_version()}")
    return (
        dg.Output(customers, metadata=cleaned.metadata),
        dg.Output(cleaned.quarantined, metadata={"rows": cleaned.quarantined.height}),
    )
