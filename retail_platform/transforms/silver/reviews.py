"""Silver reviews: validate reviews whose free text the PII policy has already redacted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.contracts import silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.rules import Between, CheckedSchema, apply_schema
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    keep_source_columns,
    parse_integer,
    parse_timestamp,
    source,
    source_column_names,
    timestamp_unparsed,
    unparsed_rule,
)

_RETYPED = ("review_id", "customer_id", "product_id", "rating", "text", "created_at", "updated_at")
RATING = Between("not between 1 and 5", minimum=1, maximum=5)


class ReviewSchema(CheckedSchema):
    review_id = dy.String(nullable=False)
    customer_id = dy.String(nullable=False)
    product_id = dy.String(nullable=False)
    rating = dy.Int32(nullable=False, check={"rating": RATING})
    text = dy.String(nullable=True)
    created_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    updated_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "updated_after_created": "updated_at: before created_at"
    }

    @dy.rule()
    def updated_after_created(cls) -> pl.Expr:
        return pl.col("updated_at") >= pl.col("created_at")


def validate_reviews(masked: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every masked review row; no row is dropped.

    Input: bronze reviews after the PII policy (``text`` already pattern-redacted). Output:
    the silver.REVIEWS columns, ``_quarantine_reason``, then the masked input columns
    (``_bronze_<name>`` where a typed column took the name).
    """
    frame = keep_source_columns(masked, _RETYPED)
    rating = parse_integer(source("rating"))
    created_at = parse_timestamp(source("created_at"))
    typed = frame.with_columns(
        review_id=clean_text(source("review_id")),
        customer_id=clean_text(source("customer_id")),
        product_id=clean_text(source("product_id")),
        rating=rating,
        text=clean_text(source("text")),
        created_at=created_at,
        updated_at=parse_timestamp(source("updated_at")),
        review_date=created_at.dt.date(),
    )
    validated = apply_schema(
        typed,
        ReviewSchema,
        unparsed={
            "rating": unparsed_rule("rating", source("rating"), rating, "an integer"),
            "created_at": timestamp_unparsed("created_at"),
            "updated_at": timestamp_unparsed("updated_at"),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(masked, _RETYPED)
    return validated.select(*silver.REVIEWS.column_names, REASON, *trailing)


def silver_reviews(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid latest review rows conformed to silver.REVIEWS."""
    return conform(valid_latest, silver.REVIEWS)
