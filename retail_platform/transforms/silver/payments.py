"""Silver payments: type and validate bronze payment attempts."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.validation import (
    REASON,
    allowed_values_rule,
    clean_text,
    combine_reasons,
    ingestion_error_rule,
    keep_source_columns,
    missing_rule,
    negative_rule,
    parse_money,
    parse_timestamp,
    pattern_rule,
    source,
    source_column_names,
    timestamp_rules,
    unparsed_rule,
)

PAYMENT_STATUSES = ("captured", "failed", "refunded")
PAYMENT_METHODS = ("card", "paypal", "klarna", "gift_card")
CURRENCY_PATTERN = r"^[A-Z]{3}$"
_PAYLOAD = [name for name in bronze.PAYMENTS.column_names if not name.startswith("_")]


def validate_payments(bronze_payments: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze payment row; no row is dropped.

    Output: the silver.PAYMENTS columns (typed), ``_quarantine_reason`` (null when valid),
    then ``_bronze_<payload column>`` text and the ingestion columns as delivered.
    """
    frame = keep_source_columns(bronze_payments, _PAYLOAD)
    amount = parse_money(source("amount"))
    currency = clean_text(source("currency")).str.to_uppercase()
    method = clean_text(source("method")).str.to_lowercase()
    status = clean_text(source("status")).str.to_lowercase()
    created_at = parse_timestamp(source("created_at"))
    reasons = [
        ingestion_error_rule(),
        missing_rule("payment_id", source("payment_id")),
        missing_rule("order_id", source("order_id")),
        missing_rule("amount", source("amount")),
        unparsed_rule("amount", source("amount"), amount, "a number"),
        negative_rule("amount", amount, source("amount")),
        missing_rule("currency", source("currency")),
        pattern_rule("currency", currency, CURRENCY_PATTERN, "a 3-letter currency code"),
        allowed_values_rule("method", method, PAYMENT_METHODS),
        missing_rule("status", source("status")),
        allowed_values_rule("status", status, PAYMENT_STATUSES),
        *timestamp_rules("created_at", source("created_at")),
    ]
    frame = frame.with_columns(
        payment_id=clean_text(source("payment_id")),
        order_id=clean_text(source("order_id")),
        amount=amount,
        currency=currency,
        method=method,
        status=status,
        created_at=created_at,
        payment_date=created_at.dt.date(),
        _quarantine_reason=combine_reasons(reasons),
    )
    trailing = source_column_names(bronze_payments, _PAYLOAD)
    return frame.select(*silver.PAYMENTS.column_names, REASON, *trailing)


def silver_payments(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid payments (one row per payment_id) conformed to silver.PAYMENTS."""
    return conform(valid_latest, silver.PAYMENTS)
