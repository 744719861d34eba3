"""Gold facts: order lines, payments and partner sales, with surrogate keys and amounts in the
reporting currency."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.gold.currency import to_reporting, with_fx_rate
from retail_platform.transforms.gold.customers import customer_keys_at
from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY, known_key
from retail_platform.transforms.keys import date_key, stable_key

# Orders in these states earn nothing: their lines stay visible with net amounts of 0.
ZERO_NET_STATUSES = ("cancelled", "returned")


def member_key(natural_key: str, known: pl.LazyFrame) -> tuple[pl.Expr, pl.LazyFrame]:
    """(key expression, frame to left-join on ``natural_key``): the dimension key of a natural
    key that ``known`` (one column of that name) holds, else the unknown member's.

    The key is hashed on the lookup (one row per known value), not on the fact's rows: a
    fact repeats each product many times, and a key is the same value wherever it is hashed.
    """
    found = f"_known_{natural_key}_key"
    lookup = known.select(natural_key).unique().with_columns(known_key(natural_key).alias(found))
    return pl.col(found).fill_null(pl.lit(UNKNOWN_KEY)).cast(pl.Int64), lookup


def build_fact_order_lines(
    order_lines: pl.LazyFrame,
    orders: pl.LazyFrame,
    dim_customer: pl.LazyFrame,
    fx_rates: pl.LazyFrame,
    products: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per silver order line (gold.FACT_ORDER_LINES).

    status and the date come from the line (which carries its order's latest version);
    customer, channel, currency and the order time from the order. The customer key is the
    customer's version valid when the order was placed. Joins are left joins, so a line whose
    order, customer version or rate is missing is kept with a null the checks report; a
    product missing from the catalog points to the unknown product.
    """
    product_key, known_products = member_key("product_id", products)
    order_lines = order_lines.join(known_products, on="product_id", how="left")
    order_attributes = orders.select("order_id", "customer_id", "channel", "currency", "created_at")
    earns_nothing = pl.col("status").is_in(ZERO_NET_STATUSES)
    facts = order_lines.join(order_attributes, on="order_id", how="left").with_columns(
        order_line_key=stable_key("order_id", "line_number"),
        date_key=date_key("order_date"),
        product_key=product_key,
        net_quantity=pl.when(earns_nothing).then(pl.lit(0, pl.Int32)).otherwise("quantity"),
        gross_amount=pl.col("line_amount"),
        net_amount=pl.when(earns_nothing).then(pl.lit(0, MONEY)).otherwise("line_amount"),
    )
    facts = customer_keys_at(facts, dim_customer, "created_at")
    facts = with_fx_rate(facts, fx_rates, "order_date").with_columns(
        gross_amount_reporting=to_reporting(pl.col("gross_amount")),
        net_amount_reporting=to_reporting(pl.col("net_amount")),
    )
    # Unsorted: the lake writes every fact clustered by date_key (resources/lake_layout.py),
    # so a sort here would be redone there; readers that need an order sort themselves.
    return conform(facts, gold.FACT_ORDER_LINES)


def build_fact_payments(payments: pl.LazyFrame, fx_rates: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver payment (gold.FACT_PAYMENTS).

    net_collected_reporting counts a capture as money in, a refund as money out and a failed
    attempt as nothing.
    """
    sign = (
        pl.when(pl.col("status") == "captured")
        .then(1)
        .when(pl.col("status") == "refunded")
        .then(-1)
        .otherwise(0)
    )
    facts = with_fx_rate(
        payments.with_columns(
            payment_key=stable_key("payment_id"), date_key=date_key("payment_date")
        ),
        fx_rates,
        "payment_date",
    ).with_columns(amount_reporting=to_reporting(pl.col("amount")))
    facts = facts.with_columns(
        net_collected_reporting=(pl.col("amount_reporting") * sign).cast(MONEY)
    )
    return conform(facts, gold.FACT_PAYMENTS)  # unsorted: as build_fact_order_lines


def build_fact_partner_sales(
    partner_sales: pl.LazyFrame,
    products: pl.LazyFrame,
    fx_rates: pl.LazyFrame,
    partners: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per silver partner sales line (gold.FACT_PARTNER_SALES).

    The product is found through its sku (the UCI StockCode). A sku missing from the catalog
    or a partner missing from the directory points to the unknown member and the line still
    loads: one partner's unknown codes never hold back the other partners' facts.
    """
    skus = products.select(pl.col("sku").alias("stock_code"), "product_id").unique("stock_code")
    product_key, known_products = member_key("product_id", products)
    partner_key, known_partners = member_key("partner_id", partners)
    facts = (
        partner_sales.join(skus, on="stock_code", how="left")
        .join(known_products, on="product_id", how="left")
        .join(known_partners, on="partner_id", how="left")
        .with_columns(
            partner_sale_key=stable_key("partner_id", "invoice_no", "stock_code"),
            partner_key=partner_key,
            product_key=product_key,
            date_key=date_key("invoice_date"),
            net_amount=pl.col("line_amount"),
        )
    )
    facts = with_fx_rate(facts, fx_rates, "invoice_date").with_columns(
        net_amount_reporting=to_reporting(pl.col("net_amount"))
    )
    return conform(facts.sort("partner_id", "invoice_no", "stock_code"), gold.FACT_PARTNER_SALES)
