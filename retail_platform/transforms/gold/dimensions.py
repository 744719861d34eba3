"""Gold dimensions: product, partner and a contiguous calendar (customer: customers.py).

Product and partner each carry one documented *unknown member*: key ``UNKNOWN_KEY`` (-1, which
no hash of a real natural key is allowed to take, see ``known_key``), natural key
``UNKNOWN_ID``. A fact whose sku or partner has no dimension row points to it and still loads;
quality/unknown_members.py counts such rows per source.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import TableContract
from retail_platform.transforms.conform import conform
from retail_platform.transforms.keys import date_key, stable_key

# Retail fiscal years commonly start in February (after the holiday season and its returns).
FISCAL_YEAR_START_MONTH = 2


UNKNOWN_KEY = -1
UNKNOWN_ID = "<unknown>"
# The unknown members' attributes: recognisable in a report, valid for every column rule.
UNKNOWN_PRODUCT = {
    "product_key": UNKNOWN_KEY,
    "product_id": UNKNOWN_ID,
    "sku": UNKNOWN_ID,
    "name": "Unknown product",
    "category": None,
    "brand": None,
    "unit_price": Decimal("0.00"),
    "currency": "XXX",  # ISO-4217's code for "no currency"
    "active": False,
}
UNKNOWN_PARTNER = {
    "partner_key": UNKNOWN_KEY,
    "partner_id": UNKNOWN_ID,
    "name": "Unknown partner",
    "country": "ZZ",  # ISO-3166's user-assigned code, customary for "unknown"
    "commission_rate": Decimal("0"),
    "onboarded_at": date(1900, 1, 1),
    "contact_email": None,
}


def known_key(*columns: str) -> pl.Expr:
    """stable_key of the natural key, moved off UNKNOWN_KEY in the (2^-64) case a real key
    hashes to it, so the unknown member's key is never shared."""
    key = stable_key(*columns)
    return pl.when(key == UNKNOWN_KEY).then(pl.lit(UNKNOWN_KEY - 1, pl.Int64)).otherwise(key)


def _with_unknown(
    rows: pl.LazyFrame, unknown: dict[str, object], contract: TableContract
) -> pl.LazyFrame:
    member = pl.LazyFrame([unknown], schema=contract.polars_schema, orient="row")
    return pl.concat([conform(rows, contract), member])


def build_dim_product(products: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver product (gold.DIM_PRODUCT) with its stable product_key, plus the
    unknown product."""
    rows = products.with_columns(product_key=known_key("product_id"))
    return _with_unknown(rows, UNKNOWN_PRODUCT, gold.DIM_PRODUCT)


def build_dim_partner(partners: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver partner (gold.DIM_PARTNER) with its stable partner_key, plus the
    unknown partner."""
    rows = partners.with_columns(partner_key=known_key("partner_id"))
    return _with_unknown(rows, UNKNOWN_PARTNER, gold.DIM_PARTNER)


def _fiscal_year(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    """Named after the calendar year it ends in: Feb 2026 - Jan 2027 is fiscal 2027."""
    if FISCAL_YEAR_START_MONTH == 1:
        return year
    return year + (month >= FISCAL_YEAR_START_MONTH).cast(pl.Int32)


def _calendar(dates: pl.LazyFrame) -> pl.LazyFrame:
    """Calendar attributes of a frame with one ``date`` column (gold.DIM_DATE)."""
    day = pl.col("date")
    month = day.dt.month().cast(pl.Int32)
    fiscal_month = (month - FISCAL_YEAR_START_MONTH) % 12 + 1
    iso_week = day.dt.week().cast(pl.Int32)
    calendar = dates.with_columns(
        date_key=date_key(day),
        year=day.dt.year(),
        quarter=day.dt.quarter(),
        month=month,
        # chrono's %B/%A are locale-independent English names.
        month_name=day.dt.strftime("%B"),
        year_month=day.dt.strftime("%Y-%m"),
        day_of_month=day.dt.day(),
        day_of_week=day.dt.weekday(),
        day_name=day.dt.strftime("%A"),
        iso_year=day.dt.iso_year(),
        iso_week=iso_week,
        iso_year_week=pl.concat_str(
            day.dt.iso_year().cast(pl.String),
            pl.lit("-W"),
            iso_week.cast(pl.String).str.zfill(2),
        ),
        is_weekend=day.dt.weekday() >= 6,
        fiscal_year=_fiscal_year(day.dt.year().cast(pl.Int32), month),
        fiscal_quarter=(fiscal_month - 1) // 3 + 1,
        fiscal_month=fiscal_month,
    )
    return conform(calendar, gold.DIM_DATE)


def build_dim_date(start: date, end: date) -> pl.LazyFrame:
    """Every calendar day from ``start`` to ``end`` inclusive, one row each, in date order."""
    if start > end:
        raise ValueError(f"dim_date start {start} is after end {end}")
    dates = pl.LazyFrame().select(pl.date_range(start, end, "1d").alias("date"))
    return _calendar(dates)


def build_dim_date_spanning(dates: pl.LazyFrame) -> pl.LazyFrame:
    """The calendar from the first to the last value of the ``date`` column, computed lazily.

    Empty when ``dates`` is empty (date_ranges tolerates that where date_range would not).
    """
    bounds = dates.select(start=pl.col("date").min(), end=pl.col("date").max()).filter(
        pl.col("start").is_not_null()
    )
    spanned = bounds.select(pl.date_ranges("start", "end", "1d").alias("date")).explode("date")
    return _calendar(spanned)
