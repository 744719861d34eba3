"""Silver partner sales: each partner's file read the way its feed profile says it is written.

The profile (feeds/partner_feeds.yaml, passed in as data) gives per partner the decimal
separator, the date formats, the currency and the invoice-number convention. Cancellations and
returns carry negative quantities, so summing ``line_amount`` nets them out. Money to the cent:
the unit price keeps its delivered decimals (up to 4), and the line amount is
quantity x unit price rounded half away from zero to cents, once, per line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.contracts.model import MONEY
from retail_platform.feeds.profiles import FeedProfiles
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.feed_values import (
    FILE,
    auto_datetime,
    listed_datetime,
    price,
    price_number,
)
from retail_platform.transforms.silver.keys import PARTNER_SALES_KEY
from retail_platform.transforms.silver.rules import (
    NOT_NEGATIVE,
    CheckedSchema,
    Matches,
    Satisfies,
    apply_schema,
)
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    keep_source_columns,
    parse_integer,
    source,
    source_column_names,
    unparsed_rule,
)

# Letters and digits, optionally with - / _ . inside: 536365, C536365, CD000002, INV-2024/17.
INVOICE_NUMBER = Matches(
    r"^[A-Z0-9]([A-Z0-9/_.-]*[A-Z0-9])?$", "an invoice number (letters, digits, - / _ .)"
)
NOT_ZERO = Satisfies("zero", lambda quantity: quantity != 0)
_SALES_PAYLOAD = [name for name in bronze.PARTNER_SALES.column_names if not name.startswith("_")]
_PREFIX = "_cancellation_prefix"
_INVOICE_AT = "invoice_at"
_PRICE_NUMBER = "_price_number"


class PartnerSaleSchema(CheckedSchema):
    partner_id = dy.String(nullable=False)
    invoice_no = dy.String(nullable=False, check={"invoice_no": INVOICE_NUMBER})
    stock_code = dy.String(nullable=False)
    quantity = dy.Int32(nullable=False, check={"not_zero": NOT_ZERO})
    unit_price = dy.Decimal(18, 4, nullable=False, check={"not_negative": NOT_NEGATIVE})
    invoice_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    country = dy.String(nullable=False)
    is_cancellation = dy.Bool(nullable=False)
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "cancellation_is_negative": "quantity: a cancellation (invoice number with the "
        "partner's cancellation prefix) must be negative"
    }

    @dy.rule()
    def cancellation_is_negative(cls) -> pl.Expr:
        return ~pl.col("is_cancellation") | (pl.col("quantity") < 0)


def _per_partner(values: Mapping[str, object], default: object) -> pl.Expr:
    """The partner's value of one profile setting (the default for partners without one)."""
    partner = pl.col("partner_id")
    expr: pl.Expr = pl.lit(default)
    for partner_id, value in values.items():
        expr = pl.when(partner == partner_id).then(pl.lit(value)).otherwise(expr)
    return expr


def _invoice_datetime(text: pl.Expr, profiles: FeedProfiles) -> tuple[pl.Expr, pl.Expr]:
    """(value, message), each partner's dates read with its profile's formats.

    Each distinct date-format setting reads only the rows of the partners that use it (the
    others are null to it, at no cost); a file holds one partner's rows. The message reads
    the value from the ``invoice_at`` column, computed first.
    """
    partner = pl.col("partner_id")
    own = {
        partner_id: profile.date_formats
        for partner_id, profile in profiles.partners.items()
        if profile.date_formats != profiles.default.date_formats
    }
    # A partner without a profile of its own (or a null partner_id) reads the default way.
    groups = [
        (~partner.is_in(list(own)).fill_null(False), profiles.default.date_formats),
        *((partner == partner_id, formats) for partner_id, formats in own.items()),
    ]
    values, messages = [], []
    for is_group, formats in groups:
        group_text = pl.when(is_group).then(text)
        if formats == "auto":
            value, message = auto_datetime(group_text, parsed=pl.col(_INVOICE_AT))
        else:
            value, message = listed_datetime(
                group_text,
                formats,  # type: ignore[arg-type]
                file=pl.when(is_group).then(pl.col(FILE)),
            )
        values.append(value)
        messages.append(message)
    return pl.coalesce(values), pl.coalesce(messages)


def validate_partner_sales(bronze_sales: pl.LazyFrame, profiles: FeedProfiles) -> pl.LazyFrame:
    """Type and validate every partner sales row with its partner's profile; none is dropped.

    Output: the silver.PARTNER_SALES columns, ``_quarantine_reason``, then
    ``_bronze_<payload column>`` text and the ingestion columns as delivered.
    """
    partners = profiles.partners
    frame = keep_source_columns(bronze_sales, _SALES_PAYLOAD).with_columns(
        partner_id=PARTNER_SALES_KEY["partner_id"](source("partner_id"))
    )
    frame = frame.with_columns(
        _per_partner(
            {p: v.cancellation_prefix for p, v in partners.items()},
            profiles.default.cancellation_prefix,
        )
        .cast(pl.String)
        .alias(_PREFIX),
        _per_partner({p: v.currency for p, v in partners.items()}, profiles.default.currency).alias(
            "currency"
        ),
        _per_partner(
            {p: v.decimal_separator == "," for p, v in partners.items()},
            profiles.default.decimal_separator == ",",
        ).alias("_comma_decimal"),
    )
    # A column: the price's value, message and line amount all read it.
    frame = frame.with_columns(
        price_number(source("unit_price"), pl.col("_comma_decimal")).alias(_PRICE_NUMBER)
    )
    quantity = parse_integer(source("quantity"))
    unit_price, price_message = price(
        source("unit_price"), pl.col("_comma_decimal"), pl.col(_PRICE_NUMBER)
    )
    invoice_at, date_message = _invoice_datetime(clean_text(source("invoice_date")), profiles)
    # Read as incremental runs read the key (keys.py): the same row, the same silver key.
    invoice_no = PARTNER_SALES_KEY["invoice_no"](source("invoice_no"))
    prefix = pl.col(_PREFIX)
    # A cancellation: the prefix followed by a digit (C536365), so CD000002 is an invoice.
    is_cancellation = (
        prefix.is_not_null()
        & invoice_no.str.starts_with(prefix)
        & invoice_no.str.slice(prefix.str.len_chars(), 1).str.contains(r"^\d$")
    ).fill_null(False)
    typed = frame.with_columns(
        invoice_no=invoice_no,
        stock_code=PARTNER_SALES_KEY["stock_code"](source("stock_code")),
        description=clean_text(source("description")),
        quantity=quantity,
        unit_price=unit_price,
        # Once per line, from the delivered price: sums of these are sums of cents.
        line_amount=(quantity * unit_price).round(2, mode="half_away_from_zero").cast(MONEY),
        invoice_at=invoice_at,
        partner_customer_id=clean_text(source("partner_customer_id")),
        country=clean_text(source("country")),
        is_cancellation=is_cancellation,
        ingested_at=pl.col("_ingested_at"),
    ).with_columns(invoice_date=pl.col(_INVOICE_AT).dt.date())
    validated = apply_schema(
        typed,
        PartnerSaleSchema,
        unparsed={
            "quantity": unparsed_rule(
                "quantity", source("quantity"), pl.col("quantity"), "an integer"
            ),
            "unit_price": price_message,
            "invoice_at": date_message,
        },
        leading=[ingestion_error_rule()],
    )
    trailing = [
        name for name in source_column_names(bronze_sales, _SALES_PAYLOAD) if name != "partner_id"
    ]
    return validated.select(*silver.PARTNER_SALES.column_names, REASON, *trailing)


def silver_partner_sales(valid_latest: pl.LazyFrame) -> pl.LazyFrame:
    return conform(valid_latest, silver.PARTNER_SALES)
