"""Silver contracts: typed, validated, latest version per business key, PII masked."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import bronze
from retail_platform.contracts.model import MONEY, PRICE, RATE, TIMESTAMP, Column, TableContract

# Cross rates keep 10 decimals: 1 JPY = 0.0056921676 EUR still converts large amounts exactly.
FX_RATE = pl.Decimal(20, 10)
INGESTED_AT = Column(
    "ingested_at",
    TIMESTAMP,
    "When this version was ingested into bronze (UTC); the latest ingestion wins.",
    nullable=False,
)

QUARANTINE_REASON = Column(
    "_quarantine_reason",
    pl.String,
    "Every validation rule the row broke, '; '-separated.",
    nullable=False,
)

ORDERS = TableContract(
    "orders",
    "Orders at their latest version, typed and validated.",
    (
        Column("order_id", pl.String, "Order identifier.", nullable=False),
        Column("customer_id", pl.String, "Customer who placed the order.", nullable=False),
        Column(
            "status", pl.String, "placed, paid, shipped, cancelled or returned.", nullable=False
        ),
        Column("currency", pl.String, "ISO-4217 currency of the amounts.", nullable=False),
        Column("channel", pl.String, "web, app or store."),
        Column("created_at", TIMESTAMP, "When the order was placed (UTC).", nullable=False),
        Column(
            "updated_at", TIMESTAMP, "When the latest version was written (UTC).", nullable=False
        ),
        Column("order_date", pl.Date, "UTC date the order was placed.", nullable=False),
        Column("line_count", pl.Int32, "Number of order lines.", nullable=False),
        Column("order_total", MONEY, "Sum of line amounts after discounts.", nullable=False),
    ),
    primary_key=("order_id",),
    # Merges match on the key; ids issued in time order keep a night's keys in few files.
    cluster_by=("order_id",),
)

ORDER_LINES = TableContract(
    "order_lines",
    "Order lines of each order's latest version.",
    (
        Column("order_id", pl.String, "Order identifier.", nullable=False),
        Column("line_number", pl.Int32, "Line number within the order, from 1.", nullable=False),
        Column("product_id", pl.String, "Product sold.", nullable=False),
        Column("quantity", pl.Int32, "Units sold; positive.", nullable=False),
        Column(
            "unit_price", PRICE, "Price per unit as delivered (up to 4 decimals).", nullable=False
        ),
        Column("discount", MONEY, "Discount on the line.", nullable=False),
        Column(
            "line_amount",
            MONEY,
            "quantity x unit_price - discount, rounded half away from zero to cents once.",
            nullable=False,
        ),
        Column("status", pl.String, "Status of the order the line belongs to.", nullable=False),
        Column("order_date", pl.Date, "UTC date the order was placed.", nullable=False),
        Column(
            "updated_at", TIMESTAMP, "When the order version was written (UTC).", nullable=False
        ),
    ),
    primary_key=("order_id", "line_number"),
    cluster_by=("order_id",),
)

PAYMENTS = TableContract(
    "payments",
    "Payment attempts, typed and validated, one row per payment.",
    (
        Column("payment_id", pl.String, "Payment identifier.", nullable=False),
        Column("order_id", pl.String, "Order the payment belongs to.", nullable=False),
        Column("amount", MONEY, "Amount.", nullable=False),
        Column("currency", pl.String, "ISO-4217 currency.", nullable=False),
        Column("method", pl.String, "card, paypal, klarna or gift_card."),
        Column("status", pl.String, "captured, failed or refunded.", nullable=False),
        Column("created_at", TIMESTAMP, "When the payment was attempted (UTC).", nullable=False),
        Column("payment_date", pl.Date, "UTC date of the attempt.", nullable=False),
    ),
    primary_key=("payment_id",),
    cluster_by=("payment_id",),
)

CUSTOMERS = TableContract(
    "customers",
    "Customers at their latest version with PII masked by the policy in pii/policy.yaml.",
    (
        Column("customer_id", pl.String, "Customer identifier.", nullable=False),
        Column(
            "email_token",
            pl.String,
            "Keyed HMAC-SHA256 token of the normalised email: joins and counts still work.",
            pii="email",
            masking="hmac_token",
        ),
        Column(
            "phone_token",
            pl.String,
            "Keyed HMAC-SHA256 token of the phone digits.",
            pii="phone",
            masking="hmac_token",
        ),
        Column(
            "birth_year",
            pl.Int32,
            "Year of birth (date generalised).",
            pii="birth_date",
            masking="generalize",
        ),
        Column("city", pl.String, "City."),
        Column(
            "postcode_prefix",
            pl.String,
            "First two characters of the postal code.",
            pii="address",
            masking="generalize",
        ),
        Column("country", pl.String, "ISO-3166 alpha-2 country."),
        Column("marketing_consent", pl.Boolean, "Whether the customer accepts marketing."),
        Column("loyalty_tier", pl.String, "bronze, silver, gold or platinum."),
        Column("created_at", TIMESTAMP, "When the customer registered (UTC).", nullable=False),
        Column("updated_at", TIMESTAMP, "When the record last changed (UTC).", nullable=False),
        Column("is_deleted", pl.Boolean, "Soft-deleted in the source.", nullable=False),
    ),
    primary_key=("customer_id",),
    cluster_by=("customer_id",),
)

PRODUCTS = TableContract(
    "products",
    "Product catalog at the latest version of each product.",
    (
        Column("product_id", pl.String, "Product identifier.", nullable=False),
        Column("sku", pl.String, "Stock keeping unit.", nullable=False),
        Column("name", pl.String, "Product name.", nullable=False),
        Column("category", pl.String, "Product category."),
        Column("brand", pl.String, "Brand."),
        Column("unit_price", MONEY, "List price.", nullable=False),
        Column("currency", pl.String, "ISO-4217 currency of the list price.", nullable=False),
        Column("active", pl.Boolean, "Whether the product is on sale.", nullable=False),
        Column("updated_at", TIMESTAMP, "When the catalog row last changed (UTC).", nullable=False),
    ),
    primary_key=("product_id",),
    cluster_by=("product_id",),
)


REVIEWS = TableContract(
    "reviews",
    "Product reviews at their latest version; emails, phones and card numbers in the text "
    "are redacted.",
    (
        Column("review_id", pl.String, "Review identifier.", nullable=False),
        Column("customer_id", pl.String, "Customer who wrote the review.", nullable=False),
        Column("product_id", pl.String, "Product reviewed.", nullable=False),
        Column("rating", pl.Int32, "Rating from 1 to 5.", nullable=False),
        Column(
            "text",
            pl.String,
            "Review text with emails, phone and card numbers replaced by [EMAIL], [PHONE] "
            "and [CARD].",
            pii="free_text",
            masking="redact_patterns",
        ),
        Column("created_at", TIMESTAMP, "When the review was written (UTC).", nullable=False),
        Column("updated_at", TIMESTAMP, "When the review last changed (UTC).", nullable=False),
        Column("review_date", pl.Date, "UTC date the review was written.", nullable=False),
    ),
    primary_key=("review_id",),
    cluster_by=("review_id",),
)

PARTNERS = TableContract(
    "partners",
    "The partner directory, one row per partner at its latest ingestion.",
    (
        Column("partner_id", pl.String, "Partner identifier.", nullable=False),
        Column("name", pl.String, "Partner's trading name.", nullable=False),
        Column("country", pl.String, "ISO-3166 alpha-2 country of the partner.", nullable=False),
        Column("commission_rate", RATE, "Commission as a fraction, 0 to 1.", nullable=False),
        Column(
            "contact_email",
            pl.String,
            "Contact email with the local part masked: '***@domain'.",
            pii="email",
            masking="partial_email",
        ),
        Column("onboarded_at", pl.Date, "Date the partner joined.", nullable=False),
        INGESTED_AT,
    ),
    primary_key=("partner_id",),
    cluster_by=("partner_id",),
)

PARTNER_SALES = TableContract(
    "partner_sales",
    "Partner sales lines, each partner's file read with its feed profile "
    "(feeds/partner_feeds.yaml); cancellations and returns carry negative quantities and "
    "amounts.",
    (
        Column("partner_id", pl.String, "Partner that sent the file.", nullable=False),
        Column(
            "invoice_no",
            pl.String,
            "Invoice number as delivered (upper-cased); letters and digits.",
            nullable=False,
        ),
        Column("stock_code", pl.String, "Product sku.", nullable=False),
        Column("description", pl.String, "Product description as the partner wrote it."),
        Column(
            "quantity", pl.Int32, "Units; negative for cancellations and returns.", nullable=False
        ),
        Column(
            "unit_price", PRICE, "Price per unit as delivered (up to 4 decimals).", nullable=False
        ),
        Column(
            "line_amount",
            MONEY,
            "quantity x unit_price rounded half away from zero to cents, once per line; "
            "negative for cancellations and returns.",
            nullable=False,
        ),
        Column(
            "currency",
            pl.String,
            "ISO-4217 currency of the amounts, from the partner's feed profile.",
            nullable=False,
        ),
        Column("invoice_at", TIMESTAMP, "Invoice time (taken as UTC).", nullable=False),
        Column("invoice_date", pl.Date, "Invoice date.", nullable=False),
        Column("partner_customer_id", pl.String, "Buyer id in the partner's system, if any."),
        Column("country", pl.String, "Country name of the buyer.", nullable=False),
        Column(
            "is_cancellation",
            pl.Boolean,
            "The invoice number carries the partner's cancellation prefix (C536365).",
            nullable=False,
        ),
        INGESTED_AT,
    ),
    primary_key=("partner_id", "invoice_no", "stock_code"),
    # By date: a day's invoices land in few files (invoice numbers run per partner, so the
    # key does not follow time). Only the leading column narrows files: no costly string sort.
    cluster_by=("invoice_date",),
)

INVENTORY = TableContract(
    "inventory",
    "Daily stock per warehouse and sku, at the latest ingestion of each snapshot.",
    (
        Column("snapshot_date", pl.Date, "Day the stock was counted.", nullable=False),
        Column("warehouse_id", pl.String, "Warehouse that counted it.", nullable=False),
        Column("sku", pl.String, "Stock keeping unit.", nullable=False),
        Column("on_hand", pl.Int32, "Units on the shelf.", nullable=False),
        Column("reserved", pl.Int32, "Units promised to open orders.", nullable=False),
        Column("reorder_point", pl.Int32, "Stock level that triggers a restock.", nullable=False),
        Column("available", pl.Int32, "on_hand - reserved.", nullable=False),
        INGESTED_AT,
    ),
    primary_key=("snapshot_date", "warehouse_id", "sku"),
    cluster_by=("snapshot_date",),
)

FX_RATES = TableContract(
    "fx_rates",
    "Exchange rates: the value of one unit of a currency in the reporting currency, from a "
    "date on; cross rates through EUR of the ECB euro reference rates (resources/fx.py).",
    (
        Column("currency", pl.String, "ISO-4217 currency converted from.", nullable=False),
        Column("rate_date", pl.Date, "First day the rate applies.", nullable=False),
        Column(
            "rate_to_reporting",
            FX_RATE,
            "Reporting-currency value of one unit of currency.",
            nullable=False,
        ),
        Column("reporting_currency", pl.String, "ISO-4217 reporting currency.", nullable=False),
    ),
    primary_key=("currency", "rate_date"),
    cluster_by=("currency",),
)


def quarantine_of(bronze_table: TableContract) -> TableContract:
    """Rows of a bronze table that failed validation, as delivered, with the rules they broke."""
    return TableContract(
        f"{bronze_table.name}_quarantine",
        f"Rows of bronze {bronze_table.name} that failed validation, kept with the reason.",
        (*bronze_table.columns, QUARANTINE_REASON),
    )


# Every silver table with its own contract (quarantine tables are derived per table).
SILVER_TABLES: tuple[TableContract, ...] = (
    ORDERS,
    ORDER_LINES,
    PAYMENTS,
    CUSTOMERS,
    PRODUCTS,
    REVIEWS,
    PARTNERS,
    PARTNER_SALES,
    INVENTORY,
    FX_RATES,
)


def _masked_customer_columns() -> tuple[Column, ...]:
    """bronze customers after the PII policy: raw PII dropped, tokenised or generalised."""
    masked = {column.name: column for column in CUSTOMERS.columns}
    renamed = {"address_city": "city", "address_country": "country"}
    replaced = {
        "email": masked["email_token"],
        "phone": masked["phone_token"],
        "birth_date": masked["birth_year"],
        "address_postcode": masked["postcode_prefix"],
    }
    dropped = {"first_name", "last_name", "address_street"}
    result: list[Column] = []
    for column in bronze.CUSTOMERS.columns:
        if column.name in dropped:
            continue
        if column.name in replaced:
            result.append(replaced[column.name])
        elif column.name == "_raw":
            result.append(Column("_raw", pl.String, "Redacted: may hold the raw document."))
        else:
            name = renamed.get(column.name, column.name)
            result.append(Column(name, column.dtype, column.description))
    return tuple(result)


MASKED_CUSTOMERS = TableContract(
    "customers",
    "bronze customers with the PII policy applied, before typing.",
    _masked_customer_columns(),
)


def masked_bronze(bronze_table: TableContract, silver_table: TableContract) -> TableContract:
    """A bronze table after the PII policy, for quarantine tables of masked entities.

    Columns the policy masks in place take the silver column's description and tags; the raw
    document ``_raw`` is redacted.
    """
    masked = {column.name: column for column in silver_table.columns if column.masking}
    result = []
    for column in bronze_table.columns:
        if column.name in masked:
            result.append(masked[column.name])
        elif column.name == "_raw":
            result.append(Column("_raw", pl.String, "Redacted: may hold the raw document."))
        else:
            result.append(Column(column.name, column.dtype, column.description))
    return TableContract(
        bronze_table.name, f"bronze {bronze_table.name} masked by policy.", tuple(result)
    )


MASKED_REVIEWS = masked_bronze(bronze.REVIEWS, REVIEWS)
MASKED_PARTNERS = masked_bronze(bronze.PARTNERS, PARTNERS)
