"""Silver partners: the partner directory (partner sales files: partner_sales.py)."""

from __future__ import annotations

import dataframely as dy
import polars as pl

from retail_platform.contracts import silver
from retail_platform.contracts.model import RATE
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.customers import COUNTRY
from retail_platform.transforms.silver.rules import (
    Between,
    CheckedSchema,
    apply_schema,
)
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    date_unparsed,
    ingestion_error_rule,
    keep_source_columns,
    parse_date,
    parse_number,
    source,
    source_column_names,
    unparsed_rule,
)

COMMISSION = Between("not between 0 and 1", minimum=0, maximum=1)
_PARTNER_RETYPED = (
    "partner_id",
    "name",
    "country",
    "commission_rate",
    "contact_email",
    "onboarded_at",
)


class PartnerSchema(CheckedSchema):
    partner_id = dy.String(nullable=False)
    name = dy.String(nullable=False)
    country = dy.String(nullable=False, check={"country": COUNTRY})
    commission_rate = dy.Decimal(9, 4, nullable=False, check={"commission": COMMISSION})
    onboarded_at = dy.Date(nullable=False)


def validate_partners(masked: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every masked partner row (contact email already partly masked)."""
    frame = keep_source_columns(masked, _PARTNER_RETYPED)
    commission = parse_number(source("commission_rate"))
    typed = frame.with_columns(
        partner_id=clean_text(source("partner_id")),
        name=clean_text(source("name")),
        country=clean_text(source("country")).str.to_uppercase(),
        # Rates with more than 4 decimals are rounded, as RATE holds 4.
        commission_rate=commission.round(4, mode="half_away_from_zero").cast(RATE, strict=False),
        contact_email=clean_text(source("contact_email")),
        onboarded_at=parse_date(source("onboarded_at")),
        ingested_at=pl.col("_ingested_at"),
    )
    validated = apply_schema(
        typed,
        PartnerSchema,
        unparsed={
            "commission_rate": unparsed_rule(
                "commission_rate", source("commission_rate"), commission, "a number"
            ),
            "onboarded_at": date_unparsed("onboarded_at"),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(masked, _PARTNER_RETYPED)
    return validated.select(*silver.PARTNERS.column_names, REASON, *trailing)


def silver_partners(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    return conform(valid_latest, silver.PARTNERS)
