"""bronze payments -> silver payments and the payments quarantine."""

import dagster as dg
import polars as pl

from retail_platform.assets.silver.cleaning import clean
from retail_platform.assets.specs import asset_out
from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.payments import silver_payments, validate_payments

KINDS = {"delta", "polars"}


@dg.multi_asset(
    outs={
        "payments": asset_out("silver", silver.PAYMENTS, KINDS),
        "payments_quarantine": asset_out("silver", silver.quarantine_of(bronze.PAYMENTS), KINDS),
    },
    ins={"bronze_payments": dg.AssetIn(key=["bronze", "payments"])},
)
def silver_payments_assets(
    bronze_payments: pl.LazyFrame,
) -> tuple[dg.Output[pl.DataFrame], dg.Output[pl.DataFrame]]:
    """Payment attempts, typed; one row per payment_id (a re-delivered attempt counts once)."""
    cleaned = clean(
        bronze_payments, bronze.PAYMENTS, validate_payments, ["payment_id"], "created_at"
    )
    payments = silver_payments(cleaned.latest.lazy()).collect()
    return (
        dg.Output(payments, metadata=cleaned.metadata),
        dg.Output(cleaned.quarantined, metadata={"rows": cleaned.quarantined.height}),
    )
