"""Gold contracts: the star schema and marts that analysts, Snowflake and Power BI use."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import MONEY, RATE, TIMESTAMP, Column, TableContract

DIM_CUSTOMER = TableContract(
    "dim_customer",
    "One row per customer, PII masked; the customer side of every fact.",
    (
        Column(
            "customer_key", pl.Int64, "Surrogate key: stable hash of customer_id.", nullable=False
        ),
        Column("customer_id", pl.String, "Customer identifier.", nullable=False),
        Column(
            "email_token", pl.String, "HMAC token of the email.", pii="email", masking="hmac_token"
        ),
        Column("birth_year", pl.Int32, "Year of birth.", pii="birth_date", masking="generalize"),
        Column("city", pl.String, "City."),
        Column("country", pl.String, "ISO-3166 alpha-2 country."),
        Column("loyalty_tier", pl.String, "bronze, silver, gold or platinum."),
        Column("marketing_consent", pl.Boolean, "Whether the customer accepts marketing."),
        Column("is_deleted", pl.Boolean, "Soft-deleted in the source.", nullable=False),
        Column("registered_at", TIMESTAMP, "When the customer registered (UTC).", nullable=False),
        Column("first_order_date", pl.Date, "Date of the first non-cancelled order, if any."),
    ),
    primary_key=("customer_key",),
)

DIM_PRODUCT = TableContract(
    "dim_product",
    "One row per product in the catalog.",
    (
        Column(
            "product_key", pl.Int64, "Surrogate key: stable hash of product_id.", nullable=False
        ),
        Column("product_id", pl.String, "Product identifier.", nullable=False),
        Column("sku", pl.String, "Stock keeping unit.", nullable=False),
        Column("name", pl.String, "Product name.", nullable=False),
        Column("category", pl.String, "Product category."),
        Column("brand", pl.String, "Brand."),
        Column("unit_price", MONEY, "Current list price.", nullable=False),
        Column("currency", pl.String, "Currency of the list price.", nullable=False),
        Column("active", pl.Boolean, "Whether the product is on sale.", nullable=False),
    ),
    primary_key=("product_key",),
)

DIM_DATE = TableContract(
    "dim_date",
    "Contiguous calendar from the first to the last order date; mark as the date table in BI.",
    (
        Column("date_key", pl.Int32, "Surrogate key YYYYMMDD.", nullable=False),
        Column("date", pl.Date, "Calendar date.", nullable=False),
        Column("year", pl.Int32, "Calendar year.", nullable=False),
        Column("quarter", pl.Int32, "Calendar quarter 1-4.", nullable=False),
        Column("month", pl.Int32, "Month number 1-12.", nullable=False),
        Column("month_name", pl.String, "Month name, e.g. October.", nullable=False),
        Column("day_of_month", pl.Int32, "Day of the month 1-31.", nullable=False),
        Column("day_of_week", pl.Int32, "ISO day of week, Monday = 1.", nullable=False),
        Column("day_name", pl.String, "Day name, e.g. Monday.", nullable=False),
        Column("iso_year", pl.Int32, "ISO-8601 week-numbering year.", nullable=False),
        Column("iso_week", pl.Int32, "ISO-8601 week number.", nullable=False),
        Column("is_weekend", pl.Boolean, "Saturday or Sunday.", nullable=False),
    ),
    primary_key=("date_key",),
)

FACT_ORDER_LINES = TableContract(
    "fact_order_lines",
    "One row per order line at the order's latest version; net of cancellations and returns.",
    (
        Column(
            "order_line_key",
            pl.Int64,
            "Surrogate key: hash of order_id and line_number.",
            nullable=False,
        ),
        Column("order_id", pl.String, "Order identifier (degenerate dimension).", nullable=False),
        Column("line_number", pl.Int32, "Line number within the order.", nullable=False),
        Column("date_key", pl.Int32, "Order date -> dim_date.", nullable=False),
        Column("customer_key", pl.Int64, "-> dim_customer.", nullable=False),
        Column("product_key", pl.Int64, "-> dim_product.", nullable=False),
        Column("channel", pl.String, "web, app or store."),
        Column("status", pl.String, "Order status.", nullable=False),
        Column("quantity", pl.Int32, "Units ordered.", nullable=False),
        Column("unit_price", MONEY, "Price per unit.", nullable=False),
        Column("discount", MONEY, "Discount on the line.", nullable=False),
        Column("gross_amount", MONEY, "quantity x unit_price - discount.", nullable=False),
        Column(
            "net_amount",
            MONEY,
            "gross_amount, or 0 when the order was cancelled or returned.",
            nullable=False,
        ),
        Column("currency", pl.String, "ISO-4217 currency.", nullable=False),
    ),
    primary_key=("order_line_key",),
    foreign_keys={
        "date_key": "dim_date",
        "customer_key": "dim_customer",
        "product_key": "dim_product",
    },
)

KPI_DAILY = TableContract(
    "kpi_daily",
    "Daily business KPIs for every date in dim_date.",
    (
        Column("date_key", pl.Int32, "-> dim_date.", nullable=False),
        Column("date", pl.Date, "Calendar date.", nullable=False),
        Column("revenue", MONEY, "Sum of net_amount of orders placed that day.", nullable=False),
        Column("orders", pl.Int64, "Orders placed that day, cancelled excluded.", nullable=False),
        Column(
            "average_order_value",
            MONEY,
            "revenue / orders; 0 when there are no orders.",
            nullable=False,
        ),
        Column(
            "new_customers", pl.Int64, "Customers whose first order was that day.", nullable=False
        ),
        Column(
            "returning_customers",
            pl.Int64,
            "Customers ordering that day who ordered before.",
            nullable=False,
        ),
        Column(
            "refund_rate",
            RATE,
            "refunded / (captured + refunded) payments that day.",
            nullable=False,
        ),
        Column(
            "payment_failure_rate", RATE, "failed / all payment attempts that day.", nullable=False
        ),
    ),
    primary_key=("date_key",),
    foreign_keys={"date_key": "dim_date"},
)

GOLD_TABLES: tuple[TableContract, ...] = (
    DIM_CUSTOMER,
    DIM_PRODUCT,
    DIM_DATE,
    FACT_ORDER_LINES,
    KPI_DAILY,
)
