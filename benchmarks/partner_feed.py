"""Partner directory and partner sales (UCI "Online Retail" layout) for the benchmark's bronze.

Generated only when the platform's gold needs them. Volumes follow the local generator: about
3 partner sales rows for every 4 order lines.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.order_feed import SECONDS_PER_DAY, choice, money_text
from retail_platform.local.vocabulary import UCI_COUNTRY_NAMES

PARTNER_SALES_ROWS_PER_SF = 750_000
FILE_DAY = "_file_day"  # the day of the partner's file a row is delivered in
PARTNERS = (
    ("PTN01", "Northwind Traders", "GB"),
    ("PTN02", "Maison du Nord", "FR"),
    ("PTN03", "Rhein Handel", "DE"),
    ("PTN04", "Tulip Wholesale", "NL"),
    ("PTN05", "Alpen Versand", "AT"),
    ("PTN06", "Emerald Goods", "IE"),
    ("PTN07", "Iberia Supply", "ES"),
    ("PTN08", "London Bazaar", "GB"),
)


def partners() -> pl.DataFrame:
    ids, names, countries = (list(column) for column in zip(*PARTNERS, strict=True))
    return pl.DataFrame({"partner_id": ids, "name": names, "country": countries}).with_columns(
        commission_rate=pl.lit("0.12"),
        contact_email=pl.format("partners@{}.example.com", pl.col("partner_id").str.to_lowercase()),
        onboarded_at=pl.lit("2024-03-01"),
    )


def invoice_count(scale_factor: float) -> int:
    """Invoices at a scale factor: 1-6 lines each, 3.5 on average."""
    n_rows = max(20, round(PARTNER_SALES_ROWS_PER_SF * scale_factor))
    return max(1, n_rows * 2 // 7)


def price_factors(rng: np.random.Generator) -> np.ndarray:
    """Each partner's prices as a share of the list price."""
    return rng.uniform(0.85, 1.0, len(PARTNERS))


def partner_sales(
    rng: np.random.Generator,
    n_invoices: int,
    products: pl.DataFrame,
    prices_cents: np.ndarray,
    start_s: int,
    days: int,
    partner_price_factors: np.ndarray,
    first_invoice: int = 0,
) -> pl.DataFrame:
    """Rows of `n_invoices` invoices of every partner over `days`, numbered from
    `first_invoice`; 2% of invoices are cancellations (C...).

    Each row carries `FILE_DAY`, the day of its invoice: a partner sends one file a day.
    """
    lines = rng.integers(1, 7, n_invoices)
    partner = rng.integers(0, len(PARTNERS), n_invoices)
    moment = start_s + rng.integers(0, days, n_invoices) * SECONDS_PER_DAY
    moment += rng.integers(8 * 3600, 20 * 3600, n_invoices) // 60 * 60
    cancelled = rng.random(n_invoices) < 0.02
    country_codes = tuple(UCI_COUNTRY_NAMES)
    home = np.asarray([UCI_COUNTRY_NAMES[p[2]] for p in PARTNERS])[partner]
    elsewhere = np.asarray(list(UCI_COUNTRY_NAMES.values()))[
        rng.integers(0, len(country_codes), n_invoices)
    ]
    invoices = pl.DataFrame(
        {
            "_invoice": first_invoice + np.arange(n_invoices),
            "partner_id": np.asarray([p[0] for p in PARTNERS])[partner],
            "_moment": moment,
            "_cancelled": cancelled,
            "partner_customer_id": np.where(
                rng.random(n_invoices) < 0.2, "", rng.integers(12346, 18288, n_invoices).astype(str)
            ),
            "country": np.where(rng.random(n_invoices) < 0.9, home, elsewhere),
            "_price_factor": partner_price_factors[partner],
        }
    )
    row_invoice = first_invoice + np.repeat(np.arange(n_invoices), lines)
    product = rng.integers(0, products.height, len(row_invoice))
    quantity = choice(rng, (1, 2, 3, 4, 6, 12, 24), (30, 20, 10, 10, 15, 10, 5), len(row_invoice))
    rows = pl.DataFrame(
        {
            "_invoice": row_invoice,
            "stock_code": products.get_column("sku").to_numpy()[product],
            "description": products.get_column("name").str.to_uppercase().to_numpy()[product],
            "_quantity": quantity,
            "_list_cents": prices_cents[product],
        }
    )
    when = pl.from_epoch(pl.col("_moment"), time_unit="s")
    return (
        rows.join(invoices, on="_invoice", how="left")
        .with_columns(
            invoice_no=pl.when(pl.col("_cancelled"))
            .then(pl.format("C{}", pl.col("_invoice") + 536_365))
            .otherwise((pl.col("_invoice") + 536_365).cast(pl.String)),
            quantity=pl.when(pl.col("_cancelled"))
            .then(-pl.col("_quantity"))
            .otherwise(pl.col("_quantity"))
            .cast(pl.String),
            invoice_date=pl.format(
                "{}/{}/{} {}:{}",
                when.dt.month(),
                when.dt.day(),
                when.dt.year(),
                when.dt.hour(),
                when.dt.minute().cast(pl.String).str.zfill(2),
            ),
            unit_price=money_text(
                (pl.col("_list_cents") * pl.col("_price_factor")).round().cast(pl.Int64)
            ),
            partner_customer_id=pl.when(pl.col("partner_customer_id") != "").then(
                pl.col("partner_customer_id")
            ),
            **{FILE_DAY: when.dt.date()},
        )
        .sort("_moment", "_invoice")
    )
