"""Partner drops in S3 -> bronze: the product catalog and partner sales files."""

from collections.abc import Callable

import dagster as dg
import polars as pl

from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform.transforms.bronze import Ingestion, csv_to_frame

KINDS = {"s3", "delta", "polars"}
CATALOG_PREFIX = "catalog/"
PARTNER_SALES_PREFIX = "partner_sales/"

PRODUCT_COLUMNS = {name: name for name in bronze.PRODUCTS.column_names if not name.startswith("_")}
UCI_COLUMNS = {
    "InvoiceNo": "invoice_no",
    "StockCode": "stock_code",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "invoice_date",
    "UnitPrice": "unit_price",
    "CustomerID": "partner_customer_id",
    "Country": "country",
}


@dg.asset(**asset_kwargs("bronze", bronze.PRODUCTS, KINDS))
def bronze_products(
    context: dg.AssetExecutionContext, partner_drops: PartnerDropsResource
) -> dg.Output[pl.DataFrame]:
    """Every catalog CSV under catalog/, one bronze row per CSV row."""
    batch = ingestion(context, "s3:catalog")
    return _ingest_csv_files(
        context,
        partner_drops,
        CATALOG_PREFIX,
        bronze.PRODUCTS,
        batch,
        PRODUCT_COLUMNS,
        lambda _: {},
    )


@dg.asset(**asset_kwargs("bronze", bronze.PARTNER_SALES, KINDS))
def bronze_partner_sales(
    context: dg.AssetExecutionContext, partner_drops: PartnerDropsResource
) -> dg.Output[pl.DataFrame]:
    """Every partner sales file under partner_sales/<partner_id>/<date>.csv (UCI layout)."""
    batch = ingestion(context, "s3:partner_sales")
    return _ingest_csv_files(
        context,
        partner_drops,
        PARTNER_SALES_PREFIX,
        bronze.PARTNER_SALES,
        batch,
        UCI_COLUMNS,
        lambda key: {"partner_id": key.removeprefix(PARTNER_SALES_PREFIX).split("/")[0]},
    )


def _ingest_csv_files(
    context: dg.AssetExecutionContext,
    drops: PartnerDropsResource,
    prefix: str,
    contract: TableContract,
    batch: Ingestion,
    rename: dict[str, str],
    constants_for_key: Callable[[str], dict[str, str]],
) -> dg.Output[pl.DataFrame]:
    objects = [obj for obj in drops.list_objects(prefix) if obj.key.endswith(".csv")]
    frames = []
    for obj in objects:
        frames.append(
            csv_to_frame(
                drops.read_bytes(obj.key),
                contract,
                ingestion=batch,
                source_key=drops.uri(obj.key),
                rename=rename,
                constants=constants_for_key(obj.key),
                required=[name for name in rename.values() if name in REQUIRED_COLUMNS],
            )
        )
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=contract.polars_schema)
    malformed = frame.filter(pl.col("_error").is_not_null())
    for reason in malformed.get_column("_error").unique().head(5):
        context.log.warning(f"{prefix}: kept malformed rows in bronze: {reason}")
    return dg.Output(
        frame,
        metadata={
            "rows": frame.height,
            "objects_ingested": len(objects),
            "malformed_records": malformed.height,
        },
    )


REQUIRED_COLUMNS = {"product_id", "invoice_no", "stock_code"}
