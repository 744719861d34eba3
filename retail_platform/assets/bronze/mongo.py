"""Customer service MongoDB -> bronze: customers and reviews, incrementally.

Bronze keeps every version read, one row per document version. The watermark is the latest
(`updated_at`, `_id`) already in the bronze table (the `_id` travels in `_source_key`), so it
lives with the data and survives any reset of the Dagster instance. Each run reads the documents
changed after it, in (`updated_at`, `_id`) order, one cursor batch at a time, and appends each
batch in its own commit: memory stays flat, and a run killed between batches resumes where the
last committed batch ended. A soft delete or an anonymization bumps `updated_at`, so it arrives
as a new version and silver's latest-version rule propagates it. Nested documents (address,
consent) are flattened into columns; a parent of the wrong shape is kept as an error row.
A hard delete leaves nothing to read: `full_refresh` re-reads the collection and replaces the
table with that snapshot.
"""

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.automation.policies import SOURCE_RETRY_POLICY, pool_for
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.mongo import MongoResource, MongoWatermark, bson_sort_key
from retail_platform.transforms.bronze_documents import document_id_of, documents_to_frame
from retail_platform.transforms.bronze_watermarks import rows_at_watermark

KINDS = {"mongodb", "delta", "polars"}
CUSTOMER_FIELD_PATHS = {
    "address_street": "address.street",
    "address_city": "address.city",
    "address_postcode": "address.postcode",
    "address_country": "address.country",
    "consent_marketing": "consent.marketing",
    "consent_updated_at": "consent.updated_at",
}


class MongoIngestConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Re-read the whole collection and replace the table (catches hard deletes).",
    )


@dg.asset(
    **asset_kwargs("bronze", bronze.CUSTOMERS, KINDS),
    pool=pool_for(dg.AssetKey(["bronze", bronze.CUSTOMERS.name])),
    retry_policy=SOURCE_RETRY_POLICY,
)
def bronze_customers(
    context: dg.AssetExecutionContext,
    config: MongoIngestConfig,
    customer_db: MongoResource,
    lake: LakeResource,
) -> dg.MaterializeResult:
    """Customer document versions changed since the last run (raw PII: bronze is restricted)."""
    return ingest_collection(
        context,
        config,
        customer_db,
        lake,
        bronze.CUSTOMERS,
        "customers",
        CUSTOMER_FIELD_PATHS,
        ("customer_id", "updated_at"),
    )


@dg.asset(
    **asset_kwargs("bronze", bronze.REVIEWS, KINDS),
    pool=pool_for(dg.AssetKey(["bronze", bronze.REVIEWS.name])),
    retry_policy=SOURCE_RETRY_POLICY,
)
def bronze_reviews(
    context: dg.AssetExecutionContext,
    config: MongoIngestConfig,
    customer_db: MongoResource,
    lake: LakeResource,
) -> dg.MaterializeResult:
    """Review document versions changed since the last run (free text may hold PII)."""
    return ingest_collection(
        context,
        config,
        customer_db,
        lake,
        bronze.REVIEWS,
        "reviews",
        {},
        ("review_id", "updated_at"),
    )


def ingest_collection(
    context: dg.AssetExecutionContext,
    config: MongoIngestConfig,
    database: MongoResource,
    lake: LakeResource,
    contract: TableContract,
    collection: str,
    field_paths: dict[str, str],
    required: tuple[str, ...],
) -> dg.MaterializeResult:
    source = f"{database.database}.{collection}"
    watermark = None if config.full_refresh else mongo_watermark(lake, contract.name, source)
    # Without a watermark the read is a full snapshot: its first batch replaces the table.
    replace_next = watermark is None
    batch = ingestion(context, f"mongodb:{collection}")
    rows = malformed = batches = soft_deleted = 0
    for documents in database.iter_changed_batches(collection, watermark):
        frame = documents_to_frame(
            documents,
            contract,
            ingestion=batch,
            collection=source,
            field_paths=field_paths,
            required=required,
        )
        if replace_next:
            lake.replace_table("bronze", contract.name, frame)
            replace_next = False
        else:
            lake.append("bronze", contract.name, frame)
        batches += 1
        rows += frame.height
        malformed += frame.filter(pl.col("_error").is_not_null()).height
        if "is_deleted" in frame.columns:
            soft_deleted += frame.filter(pl.col("is_deleted") == "true").height
    if replace_next:  # a full read of an empty collection: the table is that empty snapshot
        lake.replace_table("bronze", contract.name, pl.DataFrame(schema=contract.polars_schema))
    if malformed:
        context.log.warning(f"{source}: kept {malformed} malformed documents with their reason")
    after = mongo_watermark(lake, contract.name, source)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "rows": rows,
            "batches": batches,
            "malformed_records": malformed,
            "soft_deleted_versions": soft_deleted,
            "mode": "incremental" if watermark else "full snapshot",
            "watermark_before": _describe(watermark),
            "watermark": _describe(after),
        }
    )


def mongo_watermark(lake: LakeResource, table: str, source: str) -> MongoWatermark | None:
    """The greatest (updated_at, _id) already in bronze, or None before the first load."""
    if not lake.exists("bronze", table):
        return None
    rows = (
        rows_at_watermark(
            lake.scan("bronze", table).filter(pl.col("_source_key").str.starts_with(f"{source}/"))
        )
        .collect()
        .to_dicts()
    )
    if not rows:
        return None
    ids = [document_id_of(source, row["_source_key"]) for row in rows]
    # Ties on updated_at are few; their ids may mix BSON types (an int and a string).
    document_id = max(ids, key=bson_sort_key)
    return MongoWatermark(rows[0]["updated_at"], rows[0]["_watermark"], document_id)


def _describe(watermark: MongoWatermark | None) -> str:
    if watermark is None:
        return "none"
    return f"updated_at={watermark.updated_at_text} _id={watermark.document_id}"
