"""dim_customer as a type 2 slowly changing dimension on loyalty tier and country.

Silver holds only each customer's latest state, so history is kept by gold itself: each build
compares silver with the previous dim_customer.

- A new customer gets version 1, valid from registration.
- A change of a tracked attribute (``TRACKED``) closes the current version at the silver
  ``updated_at`` and opens the next one from there. A change stamped no later than the current
  version's start cannot be placed in time, so it corrects the current version instead.
- Every other attribute is type 1: all versions show the latest value.
- A customer that vanished from silver keeps its versions as they were.

Version numbers make the surrogate keys: ``customer_key = stable_key(customer_id, version)``.

The dimension also holds the unknown customer (key -1, ``customer_id`` ``<unknown>``, valid
forever): an order whose customer has no version points to it and still loads. It is rebuilt
on every build, never carried as history, and KPIs do not count it as a customer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import TIMESTAMP
from retail_platform.transforms.conform import conform
from retail_platform.transforms.gold.dimensions import UNKNOWN_ID, UNKNOWN_KEY, known_key

TRACKED = ("loyalty_tier", "country")
TYPE_1 = ("email_token", "birth_year", "city", "marketing_consent", "is_deleted")
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
CANCELLED = "cancelled"
_HISTORY = ("customer_id", "version", "valid_from", "valid_to", "is_current", *TRACKED)
_LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)
UNKNOWN_CUSTOMER = {
    "customer_key": UNKNOWN_KEY,
    "customer_id": UNKNOWN_ID,
    "version": 1,
    "valid_from": _LONG_AGO,
    "valid_to": OPEN_END,
    "is_current": True,
    "loyalty_tier": None,
    "country": None,
    "email_token": None,
    "birth_year": None,
    "city": None,
    "marketing_consent": None,
    "is_deleted": False,
    "registered_at": _LONG_AGO,
    "first_order_date": None,
}


def first_order_dates(orders: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id -> earliest order_date of a non-cancelled order (returned ones count)."""
    return (
        orders.filter(pl.col("status") != CANCELLED)
        .group_by("customer_id")
        .agg(first_order_date=pl.col("order_date").min())
    )


def _history(previous: pl.LazyFrame | None) -> pl.LazyFrame:
    schema = gold.DIM_CUSTOMER.polars_schema
    if previous is None:
        return pl.LazyFrame(schema={name: schema[name] for name in _HISTORY})
    return previous.select(_HISTORY)


def _tracked_changed() -> pl.Expr:
    return pl.any_horizontal(pl.col(name).ne_missing(pl.col(f"{name}_new")) for name in TRACKED)


def build_dim_customer(
    customers: pl.LazyFrame, orders: pl.LazyFrame, previous: pl.LazyFrame | None
) -> pl.LazyFrame:
    """gold.DIM_CUSTOMER from silver customers and orders and the previous dim_customer."""
    if previous is not None:  # the unknown member is rebuilt, not carried as history
        previous = previous.filter(pl.col("customer_key") != UNKNOWN_KEY)
    history = _history(previous)
    latest = customers.select(
        "customer_id",
        "updated_at",
        *(pl.col(name).alias(f"{name}_new") for name in TRACKED),
        pl.col("created_at").alias("registered_at"),
    )
    current = history.filter(pl.col("is_current")).join(latest, on="customer_id", how="inner")
    changed = _tracked_changed()
    opens_version = changed & (pl.col("updated_at") > pl.col("valid_from"))
    corrects_version = changed & ~opens_version

    untouched = history.join(
        current.filter(changed).select("customer_id", "version"),
        on=["customer_id", "version"],
        how="anti",
    )
    closed = current.filter(opens_version).select(
        "customer_id",
        "version",
        "valid_from",
        pl.col("updated_at").alias("valid_to"),
        pl.lit(False).alias("is_current"),
        *TRACKED,
    )
    opened = current.filter(opens_version).select(
        "customer_id",
        (pl.col("version") + 1).alias("version"),
        pl.col("updated_at").alias("valid_from"),
        pl.lit(OPEN_END, TIMESTAMP).alias("valid_to"),
        pl.lit(True).alias("is_current"),
        *(pl.col(f"{name}_new").alias(name) for name in TRACKED),
    )
    corrected = current.filter(corrects_version).select(
        "customer_id",
        "version",
        "valid_from",
        "valid_to",
        "is_current",
        *(pl.col(f"{name}_new").alias(name) for name in TRACKED),
    )
    new_customers = latest.join(history, on="customer_id", how="anti").select(
        "customer_id",
        pl.lit(1, pl.Int32).alias("version"),
        pl.col("registered_at").alias("valid_from"),
        pl.lit(OPEN_END, TIMESTAMP).alias("valid_to"),
        pl.lit(True).alias("is_current"),
        *(pl.col(f"{name}_new").alias(name) for name in TRACKED),
    )
    versions = pl.concat(
        [untouched, closed, opened, corrected, new_customers], how="vertical_relaxed"
    )
    attributes = customers.select(
        "customer_id", *TYPE_1, pl.col("created_at").alias("registered_at")
    )
    dim = (
        versions.join(attributes, on="customer_id", how="inner")
        .join(first_order_dates(orders), on="customer_id", how="left")
        .with_columns(customer_key=known_key("customer_id", "version"))
        .sort("customer_id", "version")
    )
    # Customers that left silver keep their previous rows, attributes and all; their keys
    # are hashed again, so a rebuild after a change of key rule re-keys them too.
    departed = (
        previous.join(customers.select("customer_id"), on="customer_id", how="anti").with_columns(
            customer_key=known_key("customer_id", "version")
        )
        if previous is not None
        else None
    )
    unknown = pl.LazyFrame([UNKNOWN_CUSTOMER], schema=gold.DIM_CUSTOMER.polars_schema, orient="row")
    parts = [conform(dim, gold.DIM_CUSTOMER)]
    if departed is not None:
        parts.append(conform(departed, gold.DIM_CUSTOMER))
    return pl.concat(parts).sort("customer_id", "version").pipe(lambda d: pl.concat([d, unknown]))


def customer_keys_at(frame: pl.LazyFrame, dim_customer: pl.LazyFrame, moment: str) -> pl.LazyFrame:
    """``frame`` with ``customer_key``: the version of its ``customer_id`` valid at ``moment``.

    A moment before the first version (an order stamped before registration) takes version 1;
    a customer_id without any version gets the unknown customer's key; a null customer_id (the
    order itself is missing) keeps a null key, which the foreign-key check reports.
    """
    versions = dim_customer.select(
        "customer_id", "customer_key", "version", "valid_from", "valid_to"
    )
    at = pl.col(moment)
    within = (at >= pl.col("valid_from")) & (at < pl.col("valid_to"))
    before_first = (pl.col("version") == 1) & (at < pl.col("valid_from"))
    return (
        frame.join(versions, on="customer_id", how="left")
        .filter(pl.col("customer_key").is_null() | within | before_first)
        .drop("version", "valid_from", "valid_to")
        .with_columns(
            customer_key=pl.when(pl.col("customer_id").is_not_null())
            .then(pl.col("customer_key").fill_null(UNKNOWN_KEY))
            .otherwise(pl.col("customer_key"))
        )
    )
