"""Gold contracts: the dimensions, and the list of every gold table (facts and marts are in
gold_facts.py).

Each column names the upstream columns it is computed from (its ``lineage``); the gold assets
publish them as Dagster column lineage, so the UI shows which silver columns feed each KPI.
Amounts come in the transaction currency and in the reporting currency (``*_reporting``,
the RETAIL_REPORTING_CURRENCY setting, EUR by default), converted with silver.fx_rates on the
transaction date.
"""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.gold_facts import (
    FACT_CUSTOMER_RETENTION,
    FACT_ORDER_LINES,
    FACT_PARTNER_SALES,
    FACT_PAYMENTS,
    KPI_DAILY,
)
from retail_platform.contracts.model import MONEY, RATE, TIMESTAMP, TableContract, copied, derived

_CUSTOMERS = "silver/customers"


DIM_CUSTOMER = TableContract(
    "dim_customer",
    "One row per customer version (SCD type 2 on loyalty tier and country), PII masked. "
    "Facts point at the version valid when they happened; filter is_current for today's view.",
    (
        derived(
            "customer_key",
            pl.Int64,
            "Surrogate key of the version: stable hash of customer_id and version.",
            f"{_CUSTOMERS}.customer_id",
        ),
        derived("customer_id", pl.String, "Customer identifier.", f"{_CUSTOMERS}.customer_id"),
        derived("version", pl.Int32, "Version number, from 1."),
        derived(
            "valid_from",
            TIMESTAMP,
            "Start of the version (UTC): registration for version 1, else the change time.",
            f"{_CUSTOMERS}.created_at",
            f"{_CUSTOMERS}.updated_at",
        ),
        derived(
            "valid_to",
            TIMESTAMP,
            "End of the version, exclusive (UTC); 9999-12-31 for the current version.",
            f"{_CUSTOMERS}.updated_at",
        ),
        derived("is_current", pl.Boolean, "The customer's current version."),
        derived(
            "loyalty_tier",
            pl.String,
            "bronze, silver, gold or platinum; a change opens a new version.",
            f"{_CUSTOMERS}.loyalty_tier",
            nullable=True,
        ),
        derived(
            "country",
            pl.String,
            "ISO-3166 alpha-2 country; a change opens a new version.",
            f"{_CUSTOMERS}.country",
            nullable=True,
        ),
        derived(
            "email_token",
            pl.String,
            "HMAC token of the email.",
            f"{_CUSTOMERS}.email_token",
            nullable=True,
            pii="email",
            masking="hmac_token",
        ),
        derived(
            "birth_year",
            pl.Int32,
            "Year of birth.",
            f"{_CUSTOMERS}.birth_year",
            nullable=True,
            pii="birth_date",
            masking="generalize",
        ),
        derived("city", pl.String, "City.", f"{_CUSTOMERS}.city", nullable=True),
        derived(
            "marketing_consent",
            pl.Boolean,
            "Whether the customer accepts marketing.",
            f"{_CUSTOMERS}.marketing_consent",
            nullable=True,
        ),
        derived(
            "is_deleted", pl.Boolean, "Soft-deleted in the source.", f"{_CUSTOMERS}.is_deleted"
        ),
        derived(
            "registered_at",
            TIMESTAMP,
            "When the customer registered (UTC).",
            f"{_CUSTOMERS}.created_at",
        ),
        derived(
            "first_order_date",
            pl.Date,
            "Date of the first non-cancelled order, if any.",
            "silver/orders.order_date",
            "silver/orders.status",
            nullable=True,
        ),
    ),
    primary_key=("customer_key",),
    # dim_customer slices replace the rows of the changed customer_ids.
    cluster_by=("customer_id",),
)


DIM_PRODUCT = TableContract(
    "dim_product",
    "One row per product in the catalog.",
    (
        *copied(
            "silver/products",
            (
                ("product_key", pl.Int64, "Surrogate key: hash of product_id.", "product_id"),
                ("product_id", pl.String, "Product identifier.", "product_id"),
                ("sku", pl.String, "Stock keeping unit.", "sku"),
                ("name", pl.String, "Product name.", "name"),
            ),
        ),
        derived(
            "category", pl.String, "Product category.", "silver/products.category", nullable=True
        ),
        derived("brand", pl.String, "Brand.", "silver/products.brand", nullable=True),
        *copied(
            "silver/products",
            (
                ("unit_price", MONEY, "Current list price.", "unit_price"),
                ("currency", pl.String, "Currency of the list price.", "currency"),
                ("active", pl.Boolean, "Whether the product is on sale.", "active"),
            ),
        ),
    ),
    primary_key=("product_key",),
    cluster_by=("product_id",),
)

DIM_PARTNER = TableContract(
    "dim_partner",
    "One row per partner in the partner directory.",
    (
        *copied(
            "silver/partners",
            (
                ("partner_key", pl.Int64, "Surrogate key: hash of partner_id.", "partner_id"),
                ("partner_id", pl.String, "Partner identifier.", "partner_id"),
                ("name", pl.String, "Partner's trading name.", "name"),
                ("country", pl.String, "ISO-3166 alpha-2 country.", "country"),
                ("commission_rate", RATE, "Commission as a fraction.", "commission_rate"),
                ("onboarded_at", pl.Date, "Date the partner joined.", "onboarded_at"),
            ),
        ),
        derived(
            "contact_email",
            pl.String,
            "Contact email, local part masked: '***@domain'.",
            "silver/partners.contact_email",
            nullable=True,
            pii="email",
            masking="partial_email",
        ),
    ),
    primary_key=("partner_key",),
    cluster_by=("partner_id",),
)

DIM_DATE = TableContract(
    "dim_date",
    "Contiguous calendar over every date a fact happened; mark as the date table in BI. The "
    "fiscal year starts on 1 February and is named after the calendar year it ends in.",
    tuple(
        derived(name, dtype, text)
        for name, dtype, text in (
            ("date_key", pl.Int32, "Surrogate key YYYYMMDD."),
            ("date", pl.Date, "Calendar date."),
            ("year", pl.Int32, "Calendar year."),
            ("quarter", pl.Int32, "Calendar quarter 1-4."),
            ("month", pl.Int32, "Month number 1-12."),
            ("month_name", pl.String, "Month name, e.g. October."),
            ("year_month", pl.String, "Year and month, e.g. 2026-10."),
            ("day_of_month", pl.Int32, "Day of the month 1-31."),
            ("day_of_week", pl.Int32, "ISO day of week, Monday = 1."),
            ("day_name", pl.String, "Day name, e.g. Monday."),
            ("iso_year", pl.Int32, "ISO-8601 week-numbering year."),
            ("iso_week", pl.Int32, "ISO-8601 week number."),
            ("iso_year_week", pl.String, "ISO week label, e.g. 2026-W44."),
            ("is_weekend", pl.Boolean, "Saturday or Sunday."),
            ("fiscal_year", pl.Int32, "Fiscal year (Feb-Jan), named by the year it ends in."),
            ("fiscal_quarter", pl.Int32, "Fiscal quarter 1-4 (Q1 = Feb-Apr)."),
            ("fiscal_month", pl.Int32, "Fiscal month 1-12 (1 = February)."),
        )
    ),
    primary_key=("date_key",),
    cluster_by=("date_key",),
)

GOLD_TABLES: tuple[TableContract, ...] = (
    DIM_CUSTOMER,
    DIM_PRODUCT,
    DIM_PARTNER,
    DIM_DATE,
    FACT_ORDER_LINES,
    FACT_PAYMENTS,
    FACT_PARTNER_SALES,
    FACT_CUSTOMER_RETENTION,
    KPI_DAILY,
)
