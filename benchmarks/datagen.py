"""Bronze tables at a scale factor, generated with vectorised NumPy/Polars (no row loops).

SF1 is about one million silver order lines (400,000 orders, ~700,000 order versions, 44,000
customers, 6,600 products) over the history (`Window.history_days`, 365 by default: the same
rows over more or fewer days); SF10 ten times that. The data follows the rules
of the local stack's generator (`retail_platform.local.generator`, pure Python and too slow
past ~50,000 lines): see `order_feed`.

Rows are shaped to the bronze contracts (`retail_platform.contracts.bronze`): every payload
value is text, nested lines are JSON text, ingestion columns are filled as a bronze asset fills
them. A contract column this generator does not know is left null and named in
`BronzeData.unknown_columns`, so the benchmark keeps running while the contracts grow.

The window has one day more than the full build uses: that day is the new data of the
incremental run, as a night brings it: the day's partitions of the dated feeds (orders,
payments), the day's partner sales files, and late versions of orders placed in the weeks
before it (`order_feed.late_updates`: as many as 1% of the orders, a new status, some with a
corrected order date, among the orders placed in the last `Window.late_window_days`), which
land in the new day's orders partition as the REST feed's `updated_since` delivers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from benchmarks import order_feed, partner_feed
from benchmarks.order_feed import SECONDS_PER_DAY, choice, day_of, iso_text, padded_id
from benchmarks.window import DEFAULT_WINDOW, HISTORY_DAYS, Window
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract

ORDERS_PER_SF = 400_000
CUSTOMERS_PER_SF = 44_000
PRODUCTS_PER_SF = 6_600
TIERS, TIER_WEIGHTS = ("bronze", "silver", "gold", "platinum"), (55, 28, 13, 4)
COUNTRIES = ("DE", "FR", "NL", "AT", "GB")
CITIES = ("Berlin", "Paris", "Amsterdam", "Vienna", "London")
CATEGORIES = ("apparel", "home", "garden", "toys", "sports", "beauty", "books", "electronics")
BRANDS = ("Nordlicht", "Maison Claire", "Vlinder", "Alpenwerk", "Thistle & Co")
BATCH_ID = "bench"
PARTITION = bronze.PARTITION_DATE.name
CONTRACTS: dict[str, TableContract] = {
    "orders": bronze.ORDERS,
    "payments": bronze.PAYMENTS,
    "customers": bronze.CUSTOMERS,
    "products": bronze.PRODUCTS,
    "partner_sales": bronze.PARTNER_SALES,
    "partners": bronze.PARTNERS,
}
# Delivered as one file per partner and day (S3), without a partition column: a file's day is
# in its batch id, as for the dated feeds.
DAILY_FILES = ("partner_sales",)
# What the platform needed from the start; partner data only when its gold reads it.
CORE_TABLES = ("orders", "payments", "customers", "products")
SOURCES = {
    "orders": "rest:/v1/orders",
    "payments": "rest:/v1/payments",
    "customers": "mongodb:customers",
    "products": "s3:catalog",
    "partner_sales": "s3:partner_sales",
    "partners": "s3:partners",
}


def delivery_day(name: str, frame: pl.DataFrame | pl.LazyFrame) -> pl.Expr | None:
    """The day a row of table `name` was delivered on, or None for undated tables."""
    if PARTITION in frame.collect_schema().names():
        return pl.col(PARTITION)
    if name in DAILY_FILES:
        return pl.col("_batch_id").str.strip_prefix(f"{BATCH_ID}:").str.to_date()
    return None


@dataclass(frozen=True)
class BronzeData:
    """Bronze tables by name, the scale factor, and contract columns left null."""

    scale_factor: float
    tables: dict[str, pl.DataFrame]
    unknown_columns: dict[str, list[str]]
    window: Window = DEFAULT_WINDOW

    def full_build(self) -> dict[str, pl.DataFrame]:
        """Every table without what the incremental day delivers."""
        built = {}
        for name, frame in self.tables.items():
            day = delivery_day(name, frame)
            built[name] = frame if day is None else frame.filter(day < self.window.new_day)
        return built

    def incremental_delivery(self) -> dict[str, pl.DataFrame]:
        """What the incremental day delivers to each dated table (partitions or files)."""
        delivered = {}
        for name, frame in self.tables.items():
            day = delivery_day(name, frame)
            if day is not None:
                delivered[name] = frame.filter(day == self.window.new_day)
        return delivered


# Orders generated at a time (with their versions and payments), and partner invoices (3.5
# rows each): bounds the generator's memory; SF1 is one piece of each.
ORDERS_PER_PIECE = 500_000
INVOICES_PER_PIECE = 250_000


def volumes(scale_factor: float, history_days: int = HISTORY_DAYS) -> dict[str, int]:
    """Orders over the whole window (full build + incremental day), customers, products.

    The full build holds ORDERS_PER_SF orders per scale factor whatever the history's length;
    the new day adds one day's share.
    """
    if scale_factor <= 0:
        raise ValueError(f"scale factor must be positive, got {scale_factor}")
    days = history_days + 1
    return {
        "orders": max(20, round(ORDERS_PER_SF * scale_factor * days / history_days)),
        "customers": max(20, round(CUSTOMERS_PER_SF * scale_factor)),
        "products": max(10, round(PRODUCTS_PER_SF * scale_factor)),
    }


class UnknownBronzeTableError(ValueError):
    """The platform needs a bronze table this generator cannot make."""


def _check_tables(tables: tuple[str, ...]) -> None:
    unknown_tables = sorted(set(tables) - set(CONTRACTS))
    if unknown_tables:
        raise UnknownBronzeTableError(
            f"the benchmark cannot generate bronze {unknown_tables} (it makes "
            f"{sorted(CONTRACTS)}); extend benchmarks/datagen.py"
        )


def generate_bronze_pieces(
    scale_factor: float,
    seed: int = 42,
    tables: tuple[str, ...] = CORE_TABLES,
    window: Window = DEFAULT_WINDOW,
    orders_per_piece: int = ORDERS_PER_PIECE,
    invoices_per_piece: int = INVOICES_PER_PIECE,
) -> Iterator[BronzeData]:
    """The bronze tables in pieces, so that the generator holds one piece at a time.

    Concatenated, the pieces are the tables: first the undated ones (customers, products,
    partners), then the orders placed in one stretch of the window at a time with all their
    versions and payments, then the partner sales invoices a batch at a time, last the new
    day's late versions of orders placed in the late window. SF1 has one piece of each kind.
    """
    _check_tables(tables)
    counts = volumes(scale_factor, window.history_days)
    rng = np.random.default_rng(seed)
    days = window.days
    start_s = window.seconds(window.first_day)
    end_s = start_s + days * SECONDS_PER_DAY
    new_day_s = window.seconds(window.new_day)
    ingested_at = datetime.now(UTC)

    def piece(raw: dict[str, pl.DataFrame]) -> BronzeData:
        generated, unknown = {}, {}
        for name, frame in raw.items():
            if name in tables:
                generated[name], missing = _to_contract(frame, name, ingested_at)
                if missing:
                    unknown[name] = missing
        return BronzeData(scale_factor, generated, unknown, window)

    products, prices_cents = _products(rng, counts["products"], start_s)
    created = order_feed.placement_times(rng, counts["orders"], start_s, days)
    undated = {
        "customers": _customers(rng, counts["customers"], start_s, end_s),
        "products": products,
        "partners": partner_feed.partners(),
    }
    yield piece(undated)
    del undated
    since_s = new_day_s - window.late_window_days * SECONDS_PER_DAY
    recent = []  # versions of the orders placed in the late window: the late updates' pick
    first_payment = 0
    for first in range(0, len(created), orders_per_piece):
        orders, totals_cents, history = order_feed.order_versions(
            rng, created[first : first + orders_per_piece], counts["customers"], prices_cents,
            end_s, first,
        )  # fmt: skip
        payments = order_feed.payments(rng, history, totals_cents, end_s, first, first_payment)
        first_payment += payments.height
        recent.append(orders.filter(pl.col("_created_s") >= since_s))
        yield piece({"orders": _dated(orders, "_updated_s"), "payments": _dated(payments)})
    if "partner_sales" in tables:  # one file per partner and day, the new day's included
        factors = partner_feed.price_factors(rng)
        # The full build's days keep their volume; the new day adds its share.
        invoices = partner_feed.invoice_count(scale_factor * days / window.history_days)
        for first in range(0, invoices, invoices_per_piece):
            sales = partner_feed.partner_sales(
                rng, min(invoices_per_piece, invoices - first), products, prices_cents,
                start_s, days, factors, first,
            )  # fmt: skip
            yield piece({"partner_sales": sales})
    # Its own generator: the other tables stay as they were before late updates existed.
    late = order_feed.late_updates(
        np.random.default_rng((seed, 1)),
        pl.concat(recent),
        new_day_s,
        start_s,
        placed_since_s=since_s,
        placed_before=int((created < new_day_s).sum()),
    )
    yield piece({"orders": _dated(late, "_updated_s")})


def generate_bronze(
    scale_factor: float,
    seed: int = 42,
    tables: tuple[str, ...] = CORE_TABLES,
    window: Window = DEFAULT_WINDOW,
    orders_per_piece: int = ORDERS_PER_PIECE,
) -> BronzeData:
    """Every bronze table whole: the pieces of `generate_bronze_pieces` put together."""
    frames: dict[str, list[pl.DataFrame]] = {}
    unknown: dict[str, list[str]] = {}
    for piece in generate_bronze_pieces(scale_factor, seed, tables, window, orders_per_piece):
        for name, frame in piece.tables.items():
            frames.setdefault(name, []).append(frame)
        unknown |= piece.unknown_columns
    generated = {name: pl.concat(frames[name]) for name in tables}
    return BronzeData(scale_factor, generated, unknown, window)


def _dated(frame: pl.DataFrame, moment: str = "_created_s") -> pl.DataFrame:
    """The frame with its daily partition: the day of `moment` (epoch seconds)."""
    return frame.with_columns(day_of(pl.col(moment)).alias(PARTITION))


def _to_contract(
    frame: pl.DataFrame, name: str, ingested_at: datetime
) -> tuple[pl.DataFrame, list[str]]:
    """The frame with exactly the contract's columns and types; unknown ones null."""
    contract = CONTRACTS[name]
    dated = PARTITION in frame.columns
    key, batch = pl.lit(f"bench:{name}"), pl.lit(BATCH_ID)
    if dated:
        day = pl.col(PARTITION).cast(pl.String)
        key = pl.format(f"bench:{name}/{{}}", day)
    elif name in DAILY_FILES:  # partner_sales/<partner>/<day>.csv, as the S3 asset keys it
        day = pl.col(partner_feed.FILE_DAY).cast(pl.String)
        key = pl.format(f"bench:{name}/{{}}/{{}}.csv", pl.col("partner_id"), day)
    # Each day of a dated feed is ingested by its own nightly run, as in production (the
    # batch id is the run id): silver's incremental refresh reads the new day's batch only.
    if dated or name in DAILY_FILES:
        batch = pl.format(f"{BATCH_ID}:{{}}", day)
    frame = frame.with_columns(
        _source=pl.lit(SOURCES[name]),
        _batch_id=batch,
        _ingested_at=pl.lit(ingested_at),
        _source_key=key,
    )
    for column in ("_error", "_raw"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    missing = [column for column in contract.column_names if column not in frame.columns]
    frame = frame.with_columns(pl.lit(None).alias(column) for column in missing)
    return frame.select(contract.column_names).cast(dict(contract.polars_schema)), missing


def _products(rng: np.random.Generator, n: int, start_s: int) -> tuple[pl.DataFrame, np.ndarray]:
    prices_cents = rng.integers(3, 250, n) * 100 + choice(rng, (49, 95, 99, 50), (1, 1, 2, 1), n)
    index = pl.col("_index")
    frame = pl.DataFrame({"_index": np.arange(1, n + 1)}).with_columns(
        product_id=padded_id("P", index, 6),
        sku=pl.format("SKU-{}", index + 100_000),
        name=pl.format("Product {}", index),
        category=pl.Series(choice(rng, CATEGORIES, (1,) * len(CATEGORIES), n)),
        brand=pl.Series(choice(rng, BRANDS, (1,) * len(BRANDS), n)),
        unit_price=order_feed.money_text(pl.Series(prices_cents)),
        currency=pl.lit("EUR"),
        active=pl.Series(np.where(rng.random(n) < 0.95, "true", "false")),
        updated_at=iso_text(pl.Series(start_s - rng.integers(1, 400 * SECONDS_PER_DAY, n))),
    )
    return frame.drop("_index"), prices_cents


def _customers(rng: np.random.Generator, n: int, start_s: int, end_s: int) -> pl.DataFrame:
    created = start_s - rng.integers(1, 3 * 365 * SECONDS_PER_DAY, n)
    changed = rng.random(n) < 0.15  # ~15% change during the window
    updated = np.where(changed, rng.integers(start_s, end_s, n), created + 1)
    country = rng.integers(0, len(COUNTRIES), n)
    index = pl.col("_index")
    frame = pl.DataFrame({"_index": np.arange(1, n + 1)}).with_columns(
        customer_id=padded_id("C", index, 7),
        first_name=pl.lit("Anna"),
        last_name=pl.format("Muster{}", index),
        email=pl.format("Anna.Muster{}@Example.com", index),
        phone=pl.format("+49 30 {}", index + 1_000_000),
        birth_date=(
            pl.lit(date(1945, 1, 1)) + pl.duration(days=pl.Series(rng.integers(0, 61 * 365, n)))
        ).cast(pl.String),
        address_street=pl.format("{} Hauptstrasse", index % 180 + 1),
        address_city=pl.Series(np.asarray(CITIES)[country]),
        address_postcode=pl.Series(rng.integers(10_000, 99_999, n)).cast(pl.String),
        address_country=pl.Series(np.asarray(COUNTRIES)[country]),
        consent_marketing=pl.Series(np.where(rng.random(n) < 0.55, "true", "false")),
        consent_updated_at=iso_text(pl.Series(created)),
        loyalty_tier=pl.Series(choice(rng, TIERS, TIER_WEIGHTS, n)),
        created_at=iso_text(pl.Series(created)),
        updated_at=iso_text(pl.Series(updated)),
        is_deleted=pl.Series(np.where(rng.random(n) < 0.005, "true", "false")),
    )
    return frame.drop("_index")
