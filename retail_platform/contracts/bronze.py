"""Bronze contracts: what each source delivered, as text, plus ingestion columns.

Bronze keeps every source value as the text it arrived as (nested values as JSON text), so a
malformed value is stored rather than lost; silver does the typing and rejects what fails.
"""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import TIMESTAMP, Column, TableContract, text_columns

INGESTION_COLUMNS: tuple[Column, ...] = (
    Column("_source", pl.String, "Source system and entity, e.g. rest:/v1/orders.", nullable=False),
    Column(
        "_batch_id",
        pl.String,
        "Dagster run id of the ingestion that wrote the row.",
        nullable=False,
    ),
    Column("_ingested_at", TIMESTAMP, "When the row was ingested (UTC).", nullable=False),
    Column(
        "_source_key",
        pl.String,
        "Where in the source the row came from: API page, S3 object, or collection/_id.",
        nullable=False,
    ),
    Column("_error", pl.String, "Why the record is malformed; null for well-formed records."),
    Column(
        "_raw",
        pl.String,
        "The malformed record as delivered: JSON for documents, the CSV row for files.",
    ),
)

PARTITION_DATE = Column(
    "_partition_date", pl.Date, "Daily partition the row was ingested for.", nullable=False
)


def _bronze(
    name: str,
    description: str,
    payload: tuple[Column, ...],
    *,
    partitioned: bool = False,
) -> TableContract:
    extra = (PARTITION_DATE,) if partitioned else ()
    return TableContract(name, description, payload + extra + INGESTION_COLUMNS)


ORDERS = _bronze(
    "orders",
    "Order versions from the commerce API change feed, one row per version delivered.",
    text_columns(
        [
            ("order_id", "Order identifier."),
            ("customer_id", "Customer who placed the order."),
            ("status", "placed, paid, shipped, cancelled or returned."),
            ("currency", "ISO-4217 currency of the amounts."),
            ("channel", "web, app or store."),
            ("created_at", "When the order was placed (ISO-8601 text)."),
            ("updated_at", "When this version of the order was written (ISO-8601 text)."),
            ("lines", "Order lines: the JSON encoding of the value as delivered."),
        ]
    ),
    partitioned=True,
)

PAYMENTS = _bronze(
    "payments",
    "Payment attempts from the commerce API, one row per attempt delivered.",
    text_columns(
        [
            ("payment_id", "Payment identifier."),
            ("order_id", "Order the payment belongs to."),
            ("amount", "Amount as delivered."),
            ("currency", "ISO-4217 currency."),
            ("method", "card, paypal, klarna or gift_card."),
            ("status", "captured, failed or refunded."),
            ("created_at", "When the payment was attempted (ISO-8601 text)."),
        ]
    ),
    partitioned=True,
)

CUSTOMERS = _bronze(
    "customers",
    "Customer documents from the customer service MongoDB, nested documents flattened.",
    (
        Column("customer_id", pl.String, "Customer identifier."),
        Column("first_name", pl.String, "Given name.", pii="name"),
        Column("last_name", pl.String, "Family name.", pii="name"),
        Column("email", pl.String, "Email address.", pii="email"),
        Column("phone", pl.String, "Phone number.", pii="phone"),
        Column("birth_date", pl.String, "Date of birth (ISO text).", pii="birth_date"),
        Column("address_street", pl.String, "Street and house number.", pii="address"),
        Column("address_city", pl.String, "City."),
        Column("address_postcode", pl.String, "Postal code.", pii="address"),
        Column("address_country", pl.String, "ISO-3166 alpha-2 country."),
        Column("consent_marketing", pl.String, "Marketing consent flag as delivered."),
        Column("consent_updated_at", pl.String, "When consent last changed."),
        Column("loyalty_tier", pl.String, "bronze, silver, gold or platinum."),
        Column("created_at", pl.String, "When the customer registered."),
        Column("updated_at", pl.String, "When the document last changed."),
        Column("is_deleted", pl.String, "Soft-delete flag as delivered."),
    ),
)

PRODUCTS = _bronze(
    "products",
    "Product catalog rows from the partner CSV drops in S3.",
    text_columns(
        [
            ("product_id", "Product identifier."),
            ("sku", "Stock keeping unit, matches partner StockCode."),
            ("name", "Product name."),
            ("category", "Product category."),
            ("brand", "Brand."),
            ("unit_price", "List price as delivered."),
            ("currency", "ISO-4217 currency of the list price."),
            ("active", "Whether the product is on sale, as delivered."),
            ("updated_at", "When the catalog row last changed."),
        ]
    ),
)

PARTNER_SALES = _bronze(
    "partner_sales",
    "Partner sales rows from S3, one file per partner and day, read with the partner's feed "
    "profile (feeds/partner_feeds.yaml): delimiter, encoding and header aliases.",
    text_columns(
        [
            ("partner_id", "Partner that sent the file (from the S3 key)."),
            ("invoice_no", "Invoice number (UCI InvoiceNo) as delivered."),
            ("stock_code", "StockCode, the product sku."),
            ("description", "Description."),
            ("quantity", "Quantity; negative for returns and cancellations."),
            ("invoice_date", "Invoice time as delivered (ISO-8601, M/D/YYYY H:MM, ...)."),
            ("unit_price", "Unit price as delivered, in the partner's currency."),
            ("partner_customer_id", "CustomerID in the partner's own system."),
            ("country", "Country of the buyer."),
        ]
    ),
)

REVIEWS = _bronze(
    "reviews",
    "Product reviews from the customer service MongoDB; free text may contain PII.",
    (
        Column("review_id", pl.String, "Review identifier."),
        Column("customer_id", pl.String, "Customer who wrote the review."),
        Column("product_id", pl.String, "Product reviewed."),
        Column("rating", pl.String, "Rating 1-5 as delivered."),
        Column(
            "text",
            pl.String,
            "Review text; may contain emails, phones or card numbers.",
            pii="free_text",
        ),
        Column("created_at", pl.String, "When the review was written."),
        Column("updated_at", pl.String, "When the review last changed."),
    ),
)

PARTNERS = _bronze(
    "partners",
    "The partner directory (partners/partners.json in S3), one row per partner.",
    (
        Column("partner_id", pl.String, "Partner identifier."),
        Column("name", pl.String, "Partner's trading name."),
        Column("country", pl.String, "ISO-3166 alpha-2 country of the partner."),
        Column("commission_rate", pl.String, "Commission as a fraction, as delivered."),
        Column("contact_email", pl.String, "Partner contact's email address.", pii="email"),
        Column("onboarded_at", pl.String, "Date the partner joined (ISO text)."),
    ),
)

INVENTORY = _bronze(
    "inventory",
    "Daily warehouse stock snapshots from the Parquet feed in S3 (inventory/stock_<date>.parquet).",
    text_columns(
        [
            ("snapshot_date", "Day the stock was counted (ISO date text)."),
            ("warehouse_id", "Warehouse that counted it."),
            ("sku", "Stock keeping unit, matches the catalog sku."),
            ("on_hand", "Units on the shelf, as delivered."),
            ("reserved", "Units promised to open orders, as delivered."),
            ("reorder_point", "Stock level that triggers a restock, as delivered."),
        ]
    ),
)

S3_MANIFEST = TableContract(
    "s3_manifest",
    "Bookkeeping of the S3 ingestion: one row per (bronze table, object key), the version "
    "(ETag) last ingested and what it gave. An object whose ETag is here is not read again.",
    (
        Column("table_name", pl.String, "Bronze table the object feeds.", nullable=False),
        Column("key", pl.String, "S3 object key.", nullable=False),
        Column("etag", pl.String, "ETag of the version ingested.", nullable=False),
        Column("size_bytes", pl.Int64, "Object size in bytes.", nullable=False),
        Column(
            "rows",
            pl.Int64,
            "Bronze rows the object gave (malformed ones included).",
            nullable=False,
        ),
        Column("malformed_rows", pl.Int64, "Of those, rows kept with an _error.", nullable=False),
        Column(
            "status",
            pl.String,
            "ingested, or rejected (file kept as one error row).",
            nullable=False,
        ),
        Column("error", pl.String, "Why the object was rejected; null when ingested."),
        Column(
            "_batch_id", pl.String, "Dagster run id that ingested this version.", nullable=False
        ),
        Column("_ingested_at", TIMESTAMP, "When this version was ingested (UTC).", nullable=False),
    ),
    primary_key=("table_name", "key"),
)
