"""Partner drops in S3 -> bronze: the catalog, the partner directory, partner sales, inventory.

Each S3 object is the unit of ingestion. The manifest table `bronze.s3_manifest` records, per
bronze table and key, the ETag last ingested: an object already there with the same ETag is not
read again; a corrected object (same key, new ETag) replaces exactly that object's rows (its
`_source_key`); nothing else in the table is touched. A file that cannot be ingested (unreadable,
undecodable, colliding or missing headers, any error while reading it) is kept as one error row
naming the file and the problem, marked `rejected` in the manifest, and the rest of the batch
lands; such a file is not retried. Partner sales files are read with the sender's feed profile
(delimiter, encoding, header aliases: feeds/partner_feeds.yaml). Data is written before the
manifest, so a run killed in between re-ingests those objects on the next run, replacing, not
doubling.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.automation.policies import S3_MANIFEST_POOL, SOURCE_RETRY_POLICY
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.feeds.profiles import feed_profiles_metadata, shipped_profiles
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.s3 import PartnerDropsResource, S3Object
from retail_platform.transforms.bronze import (
    Ingestion,
    csv_to_frame,
    json_array_to_frame,
    parquet_to_frame,
    payload_columns,
    rejected_file_frame,
    rejected_file_reason,
)

KINDS = {"s3", "delta", "polars"}
MANIFEST = bronze.S3_MANIFEST.name


@dataclass(frozen=True)
class S3Feed:
    """One kind of partner file: where it lands, its format, and the bronze table it feeds."""

    contract: TableContract
    prefix: str
    file_format: Literal["csv", "json", "parquet"]
    suffixes: tuple[str, ...]
    required_values: tuple[str, ...]
    rename: Mapping[str, str] = field(default_factory=dict)
    """Delivered column -> contract column; every one must be present in each file."""
    constants_from_key: Callable[[str], dict[str, str]] = lambda _key: {}
    csv_options_from_key: Callable[[str], dict[str, Any]] = lambda _key: {}
    """Delimiter, encoding and header aliases of the file's sender (its feed profile)."""

    def matches(self, key: str) -> bool:
        return key.startswith(self.prefix) and key.endswith(self.suffixes)

    def parse(self, content: bytes, batch: Ingestion, source_key: str, key: str) -> pl.DataFrame:
        options = {"ingestion": batch, "source_key": source_key, "required": self.required_values}
        if self.file_format == "json":
            return json_array_to_frame(content, self.contract, **options)
        if self.file_format == "parquet":
            return parquet_to_frame(content, self.contract, rename=self.rename, **options)
        return csv_to_frame(
            content,
            self.contract,
            rename=self.rename,
            constants=self.constants_from_key(key),
            **options,
            **self.csv_options_from_key(key),
        )


def _identity(contract: TableContract) -> dict[str, str]:
    return {name: name for name in payload_columns(contract)}


def _partner_of(key: str) -> dict[str, str]:
    return {"partner_id": key.removeprefix("partner_sales/").split("/")[0]}


def _profile_csv_options(key: str) -> dict[str, Any]:
    return shipped_profiles().for_partner(_partner_of(key)["partner_id"]).csv_options()


FEEDS: dict[str, S3Feed] = {
    "products": S3Feed(
        bronze.PRODUCTS, "catalog/", "csv", (".csv", ".csv.gz"), ("product_id",),
        _identity(bronze.PRODUCTS),
    ),
    "partners": S3Feed(bronze.PARTNERS, "partners/", "json", (".json",), ("partner_id",)),
    "partner_sales": S3Feed(
        bronze.PARTNER_SALES, "partner_sales/", "csv", (".csv", ".csv.gz"),
        # Headers come from the partner's feed profile (aliases), not a fixed rename.
        ("invoice_no", "stock_code"), {}, _partner_of, _profile_csv_options,
    ),
    "inventory": S3Feed(
        bronze.INVENTORY, "inventory/", "parquet", (".parquet",),
        ("snapshot_date", "warehouse_id", "sku"), _identity(bronze.INVENTORY),
    ),
}  # fmt: skip


class S3ObjectsConfig(dg.Config):
    keys: list[str] = Field(
        default_factory=list,
        description="Ingest exactly these object keys (the S3 sensor sets them); empty: every "
        "new or changed object under the feed's prefix.",
    )
    reingest: bool = Field(
        default=False, description="Read the objects again even where the manifest has their ETag."
    )
    objects_per_commit: int = Field(
        default=50, description="Objects written per Delta commit (bounds memory on a big load)."
    )


def feed_asset(
    feed: S3Feed, retry_policy: dg.RetryPolicy = SOURCE_RETRY_POLICY
) -> dg.AssetsDefinition:
    """The bronze asset of one S3 feed (a test may give it a faster retry policy)."""
    kwargs = asset_kwargs("bronze", feed.contract, KINDS)
    if feed.contract is bronze.PARTNER_SALES:  # how each partner's files are read, in the UI
        kwargs["metadata"] = {**kwargs["metadata"], **feed_profiles_metadata()}

    # Every S3 asset also upserts bronze/s3_manifest: one pool serialises those writes.
    @dg.asset(**kwargs, pool=S3_MANIFEST_POOL, retry_policy=retry_policy)
    def _asset(
        context: dg.AssetExecutionContext,
        config: S3ObjectsConfig,
        partner_drops: PartnerDropsResource,
        lake: LakeResource,
    ) -> dg.MaterializeResult:
        return ingest_feed(context, config, partner_drops, lake, feed)

    return _asset


bronze_products = feed_asset(FEEDS["products"])
bronze_partners = feed_asset(FEEDS["partners"])
bronze_partner_sales = feed_asset(FEEDS["partner_sales"])
bronze_inventory = feed_asset(FEEDS["inventory"])
FEED_ASSETS = {
    "products": bronze_products,
    "partners": bronze_partners,
    "partner_sales": bronze_partner_sales,
    "inventory": bronze_inventory,
}


def ingest_feed(
    context: dg.AssetExecutionContext,
    config: S3ObjectsConfig,
    drops: PartnerDropsResource,
    lake: LakeResource,
    feed: S3Feed,
) -> dg.MaterializeResult:
    table = feed.contract.name
    listed = [obj for obj in drops.list_objects(feed.prefix) if feed.matches(obj.key)]
    if config.keys:
        wanted = set(config.keys)
        gone = sorted(wanted - {obj.key for obj in listed})
        if gone:
            context.log.warning(f"{table}: requested objects no longer in the bucket: {gone}")
        listed = [obj for obj in listed if obj.key in wanted]
    ingested = {} if config.reingest else manifest_etags(lake, table)
    todo = [obj for obj in listed if ingested.get(obj.key) != obj.etag]
    batch = ingestion(context, f"s3:{table}")
    totals = {"rows": 0, "malformed_records": 0, "objects_ingested": 0}
    rejected: list[str] = []
    step = max(1, config.objects_per_commit)
    for first in range(0, len(todo), step):
        frames, manifest_rows = [], []
        for listed_object in todo[first : first + step]:
            content, version = drops.read_object(listed_object.key)
            frame = parse_object(feed, content, batch, drops.uri(version.key), version.key)
            reason = rejected_file_reason(frame)
            if reason:
                rejected.append(reason)
                context.log.warning(f"{table}: {reason}")
            frames.append(frame)
            manifest_rows.append(_manifest_row(table, version, frame, reason, batch))
        data = pl.concat(frames, how="diagonal_relaxed")
        keys = [drops.uri(row["key"]) for row in manifest_rows]
        lake.replace_keys("bronze", table, data, "_source_key", keys)
        manifest = pl.DataFrame(manifest_rows, schema=bronze.S3_MANIFEST.polars_schema)
        lake.upsert("bronze", MANIFEST, manifest, key=bronze.S3_MANIFEST.primary_key)
        totals["rows"] += data.height
        totals["malformed_records"] += data.filter(pl.col("_error").is_not_null()).height
        totals["objects_ingested"] += len(manifest_rows)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": totals["rows"],
            **totals,
            "objects_listed": len(listed),
            "objects_unchanged": len(listed) - len(todo),
            "objects_rejected": len(rejected),
            "rejections": rejected or "none",
            "latest_object_modified": _latest_modified(todo),
        }
    )


def parse_object(
    feed: S3Feed, content: bytes, batch: Ingestion, source_key: str, key: str
) -> pl.DataFrame:
    """The object's bronze rows; any failure to read it rejects this object alone.

    A problem in one file (a parse error, a header polars refuses, a bug meeting an odd file)
    is a property of that file: retrying cannot fix it and it must not stop the others, so it
    becomes the file's rejection, by name, in the manifest and the metadata.
    """
    try:
        return feed.parse(content, batch, source_key, key)
    except Exception as error:
        return rejected_file_frame(
            feed.contract,
            ingestion=batch,
            source_key=source_key,
            content=content,
            reason=f"{type(error).__name__}: {error}",
        )


def manifest_etags(lake: LakeResource, table: str) -> dict[str, str]:
    """key -> ETag already ingested into `table`."""
    if not lake.exists("bronze", MANIFEST):
        return {}
    rows = (
        lake.scan("bronze", MANIFEST)
        .filter(pl.col("table_name") == table)
        .select("key", "etag")
        .collect()
    )
    return dict(rows.iter_rows())


def _manifest_row(
    table: str, version: S3Object, frame: pl.DataFrame, reason: str | None, batch: Ingestion
) -> dict[str, object]:
    return {
        "table_name": table,
        "key": version.key,
        "etag": version.etag,
        "size_bytes": version.size,
        "rows": frame.height,
        "malformed_rows": frame.filter(pl.col("_error").is_not_null()).height,
        "status": "rejected" if reason else "ingested",
        "error": reason,
        "_batch_id": batch.batch_id,
        "_ingested_at": batch.ingested_at,
    }


def _latest_modified(objects: Sequence[S3Object]) -> str:
    if not objects:
        return "none"
    return max(obj.last_modified for obj in objects).astimezone(UTC).isoformat()
