"""Silver partners and partner sales: the partner directory and the UCI-layout sales files.

Partner sales follow the UCI "Online Retail" conventions: an invoice number starting with "C"
is a cancellation, and cancellations and returns carry negative quantities, so summing
``line_amount`` nets them out. The files name no currency; partners settle in
``PARTNER_SALES_CURRENCY`` (the catalog's currency), which every row records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.contracts.model import MONEY, RATE
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.customers import COUNTRY
from retail_platform.transforms.silver.rules import (
    NOT_NEGATIVE,
    Between,
    CheckedSchema,
    Matches,
    Satisfies,
    apply_schema,
)
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    date_unparsed,
    ingestion_error_rule,
    keep_source_columns,
    parse_date,
    parse_integer,
    parse_money,
    parse_number,
    source,
    source_column_names,
    unparsed_rule,
)

PARTNER_SALES_CURRENCY = "EUR"
# UCI invoice numbers are digits; C marks a cancellation, A an adjustment.
INVOICE_NUMBER = Matches(r"^[A-Z]?\d+$", "an invoice number such as 536365 or C536365")
# The UCI layout writes InvoiceDate as M/D/YYYY H:MM, without a time zone.
UCI_DATETIME_FORMAT = "%m/%d/%Y %H:%M"
COMMISSION = Between("not between 0 and 1", minimum=0, maximum=1)
NOT_ZERO = Satisfies("zero", lambda quantity: quantity != 0)
_PARTNER_RETYPED = (
    "partner_id",
    "name",
    "country",
    "commission_rate",
    "contact_email",
    "onboarded_at",
)
_SALES_PAYLOAD = [name for name in bronze.PARTNER_SALES.column_names if not name.startswith("_")]


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


class PartnerSaleSchema(CheckedSchema):
    partner_id = dy.String(nullable=False)
    invoice_no = dy.String(nullable=False, check={"invoice_no": INVOICE_NUMBER})
    stock_code = dy.String(nullable=False)
    quantity = dy.Int32(nullable=False, check={"not_zero": NOT_ZERO})
    unit_price = dy.Decimal(18, 2, nullable=False, check={"not_negative": NOT_NEGATIVE})
    invoice_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    country = dy.String(nullable=False)
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "cancellation_is_negative": "quantity: a cancellation (C invoice) must be negative"
    }

    @dy.rule()
    def cancellation_is_negative(cls) -> pl.Expr:
        return ~pl.col("invoice_no").str.starts_with("C") | (pl.col("quantity") < 0)


def validate_partner_sales(bronze_sales: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every partner sales row; no row is dropped.

    Output: the silver.PARTNER_SALES columns, ``_quarantine_reason``, then
    ``_bronze_<payload column>`` text and the ingestion columns as delivered.
    """
    frame = keep_source_columns(bronze_sales, _SALES_PAYLOAD)
    quantity = parse_integer(source("quantity"))
    unit_price = parse_money(source("unit_price"))
    invoice_at = (
        clean_text(source("invoice_date"))
        .str.to_datetime(UCI_DATETIME_FORMAT, time_unit="us", strict=False)
        .dt.replace_time_zone("UTC")
    )
    invoice_no = clean_text(source("invoice_no")).str.to_uppercase()
    typed = frame.with_columns(
        partner_id=clean_text(source("partner_id")),
        invoice_no=invoice_no,
        stock_code=clean_text(source("stock_code")),
        description=clean_text(source("description")),
        quantity=quantity,
        unit_price=unit_price,
        line_amount=(quantity * unit_price).cast(MONEY, strict=False),
        currency=pl.lit(PARTNER_SALES_CURRENCY),
        invoice_at=invoice_at,
        invoice_date=invoice_at.dt.date(),
        partner_customer_id=clean_text(source("partner_customer_id")),
        country=clean_text(source("country")),
        is_cancellation=invoice_no.str.starts_with("C"),
        ingested_at=pl.col("_ingested_at"),
    )
    validated = apply_schema(
        typed,
        PartnerSaleSchema,
        unparsed={
            "quantity": unparsed_rule("quantity", source("quantity"), quantity, "an integer"),
            "unit_price": unparsed_rule("unit_price", source("unit_price"), unit_price, "a number"),
            "invoice_at": unparsed_rule(
                "invoice_date", source("invoice_date"), invoice_at, "a date like 12/1/2010 8:26"
            ),
        },
        leading=[ingestion_error_rule()],
    )
    trailing = source_column_names(bronze_sales, _SALES_PAYLOAD)
    return validated.select(*silver.PARTNER_SALES.column_names, REASON, *trailing)


def silver_partner_sales(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    return conform(valid_latest, silver.PARTNER_SALES)
