"""Silver products: type and validate bronze catalog rows."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    combine_reasons,
    ingestion_error_rule,
    keep_source_columns,
    missing_rule,
    negative_rule,
    parse_flag,
    parse_money,
    parse_timestamp,
    pattern_rule,
    source,
    source_column_names,
    timestamp_rules,
    unparsed_rule,
)

CURRENCY_PATTERN = r"^[A-Z]{3}$"
_PAYLOAD = [name for name in bronze.PRODUCTS.column_names if not name.startswith("_")]


def validate_products(bronze_products: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze product row; no row is dropped.

    ``active`` accepts true/false/1/0 in any case. Output: the silver.PRODUCTS columns
    (typed), ``_quarantine_reason``, then ``_bronze_<payload column>`` text and the
    ingestion columns as delivered.
    """
    frame = keep_source_columns(bronze_products, _PAYLOAD)
    unit_price = parse_money(source("unit_price"))
    currency = clean_text(source("currency")).str.to_uppercase()
    active = parse_flag(source("active"))
    reasons = [
        ingestion_error_rule(),
        missing_rule("product_id", source("product_id")),
        missing_rule("sku", source("sku")),
        missing_rule("name", source("name")),
        missing_rule("unit_price", source("unit_price")),
        unparsed_rule("unit_price", source("unit_price"), unit_price, "a number"),
        negative_rule("unit_price", unit_price, source("unit_price")),
        missing_rule("currency", source("currency")),
        pattern_rule("currency", currency, CURRENCY_PATTERN, "a 3-letter currency code"),
        missing_rule("active", source("active")),
        unparsed_rule("active", source("active"), active, "true/false/1/0"),
        *timestamp_rules("updated_at", source("updated_at")),
    ]
    frame = frame.with_columns(
        product_id=clean_text(source("product_id")),
        sku=clean_text(source("sku")),
        name=clean_text(source("name")),
        category=clean_text(source("category")),
        brand=clean_text(source("brand")),
        unit_price=unit_price,
        currency=currency,
        active=active,
        updated_at=parse_timestamp(source("updated_at")),
        _quarantine_reason=combine_reasons(reasons),
    )
    trailing = source_column_names(bronze_products, _PAYLOAD)
    return frame.select(*silver.PRODUCTS.column_names, REASON, *trailing)


def silver_products(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid latest product rows conformed to silver.PRODUCTS."""
    return conform(valid_latest, silver.PRODUCTS)
