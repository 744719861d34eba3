"""Silver customers: validate customers that the PII engine has already masked.

Masking happens before validation (``pii.engine.apply_policy`` on bronze customers), so no
raw personal data reaches silver or its quarantine; ``validate_customers`` refuses input that
still carries a raw PII column.
"""

from __future__ import annotations

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.rules import CheckedSchema, Matches, OneOf, apply_schema
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    keep_source_columns,
    parse_flag,
    parse_timestamp,
    source,
    source_column_names,
    timestamp_unparsed,
    unparsed_rule,
)

LOYALTY_TIERS = ("bronze", "silver", "gold", "platinum")
COUNTRY = Matches(r"^[A-Z]{2}$", "a 2-letter country code")
RAW_PII_COLUMNS = tuple(column.name for column in bronze.CUSTOMERS.columns if column.pii)
# Masked columns that get a typed silver column of the same name (kept as _bronze_<name>).
_RETYPED = (
    "customer_id",
    "email_token",
    "phone_token",
    "birth_year",
    "city",
    "postcode_prefix",
    "country",
    "loyalty_tier",
    "created_at",
    "updated_at",
    "is_deleted",
)


class CustomerSchema(CheckedSchema):
    """A customer after masking; tokens and generalised values are not checked further."""

    customer_id = dy.String(nullable=False)
    email_token = dy.String(nullable=True)
    phone_token = dy.String(nullable=True)
    birth_year = dy.Int32(nullable=True)
    city = dy.String(nullable=True)
    postcode_prefix = dy.String(nullable=True)
    country = dy.String(nullable=True, check={"country": COUNTRY})
    marketing_consent = dy.Bool(nullable=True)
    loyalty_tier = dy.String(nullable=True, check={"loyalty_tier": OneOf(LOYALTY_TIERS)})
    created_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    updated_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    is_deleted = dy.Bool(nullable=False)


class UnmaskedCustomersError(ValueError):
    """Customers reached validation without going through the PII policy."""


def validate_customers(masked: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every masked customer row; no row is dropped.

    ``consent_marketing`` becomes ``marketing_consent``; flags accept true/false/1/0 in any
    case. A missing ``is_deleted`` means not deleted (documents omit the flag until set).
    Output: the silver.CUSTOMERS columns (typed), ``_quarantine_reason``, then the masked
    input columns (``_bronze_<name>`` where a typed column took the name).
    """
    names = masked.collect_schema().names()
    unmasked = [name for name in names if name in RAW_PII_COLUMNS]
    if unmasked:
        raise UnmaskedCustomersError(
            f"customers must be masked before validation; raw PII columns: {', '.join(unmasked)}"
        )
    frame = keep_source_columns(masked, [name for name in _RETYPED if name in names])
    marketing_consent = parse_flag(pl.col("consent_marketing"))
    deleted_flag = parse_flag(source("is_deleted"))
    typed = frame.with_columns(
        customer_id=clean_text(source("customer_id")),
        email_token=source("email_token").cast(pl.String),
        phone_token=source("phone_token").cast(pl.String),
        birth_year=source("birth_year").cast(pl.Int32),
        city=clean_text(source("city")),
        postcode_prefix=clean_text(source("postcode_prefix")),
        country=clean_text(source("country")).str.to_uppercase(),
        marketing_consent=marketing_consent,
        loyalty_tier=clean_text(source("loyalty_tier")).str.to_lowercase(),
        created_at=parse_timestamp(source("created_at")),
        updated_at=parse_timestamp(source("updated_at")),
        is_deleted=pl.when(clean_text(source("is_deleted")).is_null())
        .then(False)
        .otherwise(deleted_flag),
    )
    consent_text = pl.col("consent_marketing")
    frame = apply_schema(
        typed,
        CustomerSchema,
        unparsed={
            "marketing_consent": unparsed_rule(
                "consent_marketing", consent_text, marketing_consent, "true/false/1/0"
            ),
            "is_deleted": unparsed_rule(
                "is_deleted", source("is_deleted"), deleted_flag, "true/false/1/0"
            ),
            "created_at": timestamp_unparsed("created_at"),
            "updated_at": timestamp_unparsed("updated_at"),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(masked, _RETYPED)
    return frame.select(*silver.CUSTOMERS.column_names, REASON, *trailing)


def silver_customers(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid latest customer rows conformed to silver.CUSTOMERS."""
    return conform(valid_latest, silver.CUSTOMERS)
