"""Silver payments: type and validate bronze payment attempts."""

from __future__ import annotations

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.rules import (
    NOT_NEGATIVE,
    CheckedSchema,
    Matches,
    OneOf,
    apply_schema,
)
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    keep_source_columns,
    parse_money,
    parse_timestamp,
    source,
    source_column_names,
    timestamp_unparsed,
    unparsed_rule,
)

PAYMENT_STATUSES = ("captured", "failed", "refunded")
PAYMENT_METHODS = ("card", "paypal", "klarna", "gift_card")
CURRENCY = Matches(r"^[A-Z]{3}$", "a 3-letter currency code")
_PAYLOAD = [name for name in bronze.PAYMENTS.column_names if not name.startswith("_")]


class PaymentSchema(CheckedSchema):
    """A payment attempt: amounts are never negative (a refund is its own attempt)."""

    payment_id = dy.String(nullable=False)
    order_id = dy.String(nullable=False)
    amount = dy.Decimal(18, 2, nullable=False, check={"not_negative": NOT_NEGATIVE})
    currency = dy.String(nullable=False, check={"currency": CURRENCY})
    method = dy.String(nullable=True, check={"method": OneOf(PAYMENT_METHODS)})
    status = dy.String(nullable=False, check={"status": OneOf(PAYMENT_STATUSES)})
    created_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")


def validate_payments(bronze_payments: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze payment row; no row is dropped.

    Output: the silver.PAYMENTS columns (typed), ``_quarantine_reason`` (null when valid),
    then ``_bronze_<payload column>`` text and the ingestion columns as delivered.
    """
    frame = keep_source_columns(bronze_payments, _PAYLOAD)
    amount = parse_money(source("amount"))
    created_at = parse_timestamp(source("created_at"))
    typed = frame.with_columns(
        payment_id=clean_text(source("payment_id")),
        order_id=clean_text(source("order_id")),
        amount=amount,
        currency=clean_text(source("currency")).str.to_uppercase(),
        method=clean_text(source("method")).str.to_lowercase(),
        status=clean_text(source("status")).str.to_lowercase(),
        created_at=created_at,
        payment_date=created_at.dt.date(),
    )
    validated = apply_schema(
        typed,
        PaymentSchema,
        unparsed={
            "amount": unparsed_rule("amount", source("amount"), amount, "a number"),
            "created_at": timestamp_unparsed("created_at"),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(bronze_payments, _PAYLOAD)
    return validated.select(*silver.PAYMENTS.column_names, REASON, *trailing)


def silver_payments(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid payments (one row per payment_id) conformed to silver.PAYMENTS."""
    return conform(valid_latest, silver.PAYMENTS)
