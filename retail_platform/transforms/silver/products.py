"""Silver products: type and validate bronze catalog rows."""

from __future__ import annotations

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.payments import CURRENCY
from retail_platform.transforms.silver.rules import NOT_NEGATIVE, CheckedSchema, apply_schema
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    keep_source_columns,
    parse_flag,
    parse_money,
    parse_timestamp,
    source,
    source_column_names,
    timestamp_unparsed,
    unparsed_rule,
)

_PAYLOAD = [name for name in bronze.PRODUCTS.column_names if not name.startswith("_")]


class ProductSchema(CheckedSchema):
    product_id = dy.String(nullable=False)
    sku = dy.String(nullable=False)
    name = dy.String(nullable=False)
    category = dy.String(nullable=True)
    brand = dy.String(nullable=True)
    unit_price = dy.Decimal(18, 2, nullable=False, check={"not_negative": NOT_NEGATIVE})
    currency = dy.String(nullable=False, check={"currency": CURRENCY})
    active = dy.Bool(nullable=False)
    updated_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")


def validate_products(bronze_products: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze product row; no row is dropped.

    ``active`` accepts true/false/1/0 in any case. Output: the silver.PRODUCTS columns
    (typed), ``_quarantine_reason``, then ``_bronze_<payload column>`` text and the
    ingestion columns as delivered.
    """
    frame = keep_source_columns(bronze_products, _PAYLOAD)
    unit_price = parse_money(source("unit_price"))
    active = parse_flag(source("active"))
    typed = frame.with_columns(
        product_id=clean_text(source("product_id")),
        sku=clean_text(source("sku")),
        name=clean_text(source("name")),
        category=clean_text(source("category")),
        brand=clean_text(source("brand")),
        unit_price=unit_price,
        currency=clean_text(source("currency")).str.to_uppercase(),
        active=active,
        updated_at=parse_timestamp(source("updated_at")),
    )
    validated = apply_schema(
        typed,
        ProductSchema,
        unparsed={
            "unit_price": unparsed_rule("unit_price", source("unit_price"), unit_price, "a number"),
            "active": unparsed_rule("active", source("active"), active, "true/false/1/0"),
            "updated_at": timestamp_unparsed("updated_at"),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(bronze_products, _PAYLOAD)
    return validated.select(*silver.PRODUCTS.column_names, REASON, *trailing)


def silver_products(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid latest product rows conformed to silver.PRODUCTS."""
    return conform(valid_latest, silver.PRODUCTS)
