"""Customer service MongoDB -> bronze: customers, nested documents flattened."""

import dagster as dg
import polars as pl

from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.contracts import bronze
from retail_platform.resources.mongo import MongoResource
from retail_platform.transforms.bronze import records_to_frame

CUSTOMER_FIELD_PATHS = {
    "address_street": "address.street",
    "address_city": "address.city",
    "address_postcode": "address.postcode",
    "address_country": "address.country",
    "consent_marketing": "consent.marketing",
    "consent_updated_at": "consent.updated_at",
}


@dg.asset(
    **asset_kwargs("bronze", bronze.CUSTOMERS, {"mongodb", "delta", "polars"}),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
)
def bronze_customers(
    context: dg.AssetExecutionContext, customer_db: MongoResource
) -> dg.Output[pl.DataFrame]:
    """A full snapshot of the customers collection (raw PII: bronze is access-restricted)."""
    batch = ingestion(context, "mongodb:customers")
    frames = [
        records_to_frame(
            documents,
            bronze.CUSTOMERS,
            ingestion=batch,
            source_key=f"{customer_db.database}.customers",
            field_paths=CUSTOMER_FIELD_PATHS,
            required=("customer_id", "updated_at"),
        )
        for documents in customer_db.iter_batches("customers")
    ]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=bronze.CUSTOMERS.polars_schema)
    malformed = frame.filter(pl.col("_error").is_not_null()).height
    return dg.Output(
        frame,
        metadata={"rows": frame.height, "batches": len(frames), "malformed_records": malformed},
    )
