"""DuckDB peer: the gold tables in plain SQL, as a dbt-duckdb project would write them.

Surrogate keys come from a vectorised (Arrow) Python UDF, because DuckDB has no BLAKE2b. Money
ratios are rounded half-up in exact integer arithmetic (DuckDB divides decimals as doubles).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from retail_platform.bench.measure import measured
from retail_platform.bench.peers.keys import stable_keys
from retail_platform.bench.peers.silver_files import silver_parquet_files
from retail_platform.bench.workspace import PhaseContext


def _key_udf(texts: pa.Array) -> pa.Array:
    return pa.array(stable_keys(texts.to_pylist()), type=pa.int64())


def _date_key(column: str) -> str:
    return f"CAST(year({column}) * 10000 + month({column}) * 100 + day({column}) AS INTEGER)"


def _half_up(numerator: str, denominator: str, decimals: int, dtype: str) -> str:
    """numerator / denominator rounded half-up (both >= 0); 0 when the denominator is 0."""
    unit = 10**decimals
    scaled = f"CAST(({numerator}) * {unit} AS HUGEINT)"
    quotient = f"(2 * {scaled} + ({denominator})) // (2 * ({denominator}))"
    fraction = f"0.{'0' * (decimals - 1)}1"
    return (
        f"CAST(CASE WHEN ({denominator}) > 0 "
        f"THEN CAST({quotient} AS DECIMAL(38, 0)) * {fraction} ELSE 0 END AS {dtype})"
    )


GOLD_SQL = {
    "dim_customer": """
        WITH first_orders AS (
            SELECT customer_id, min(order_date) AS first_order_date
            FROM orders WHERE status <> 'cancelled' GROUP BY customer_id
        )
        SELECT stable_key(c.customer_id) AS customer_key, c.customer_id, c.email_token,
               c.birth_year, c.city, c.country, c.loyalty_tier, c.marketing_consent,
               c.is_deleted, c.created_at AS registered_at, f.first_order_date
        FROM customers c LEFT JOIN first_orders f USING (customer_id)
    """,
    "dim_product": """
        SELECT stable_key(product_id) AS product_key, product_id, sku, name, category, brand,
               unit_price, currency, active
        FROM products
    """,
    "dim_date": f"""
        SELECT {_date_key("d")} AS date_key, d AS date, CAST(year(d) AS INTEGER) AS year,
               CAST(quarter(d) AS INTEGER) AS quarter, CAST(month(d) AS INTEGER) AS month,
               monthname(d) AS month_name, CAST(day(d) AS INTEGER) AS day_of_month,
               CAST(isodow(d) AS INTEGER) AS day_of_week, dayname(d) AS day_name,
               CAST(isoyear(d) AS INTEGER) AS iso_year, CAST(week(d) AS INTEGER) AS iso_week,
               isodow(d) >= 6 AS is_weekend
        FROM (
            SELECT CAST(unnest(generate_series(min(order_date), max(order_date),
                                               INTERVAL 1 DAY)) AS DATE) AS d
            FROM orders
        )
        ORDER BY d
    """,
    "fact_order_lines": f"""
        SELECT stable_key(l.order_id || chr(31) || CAST(l.line_number AS VARCHAR))
                   AS order_line_key,
               l.order_id, l.line_number, {_date_key("l.order_date")} AS date_key,
               stable_key(o.customer_id) AS customer_key, stable_key(l.product_id) AS product_key,
               o.channel, l.status, l.quantity, l.unit_price, l.discount,
               l.line_amount AS gross_amount,
               CASE WHEN l.status IN ('cancelled', 'returned') THEN CAST(0 AS DECIMAL(18, 2))
                    ELSE l.line_amount END AS net_amount,
               o.currency
        FROM order_lines l
        LEFT JOIN (SELECT order_id, customer_id, channel, currency FROM orders) o USING (order_id)
    """,
    "kpi_daily": f"""
        WITH sales AS (
            SELECT date_key, sum(net_amount) AS revenue,
                   count(DISTINCT order_id) FILTER (WHERE status <> 'cancelled') AS orders
            FROM fact_order_lines GROUP BY date_key
        ),
        customer_days AS (
            SELECT DISTINCT date_key, customer_key FROM fact_order_lines
            WHERE status <> 'cancelled'
        ),
        first_days AS (
            SELECT customer_key, min(date_key) AS first_date_key
            FROM customer_days GROUP BY customer_key
        ),
        customer_counts AS (
            SELECT d.date_key,
                   count(*) FILTER (WHERE d.date_key = f.first_date_key) AS new_customers,
                   count(*) FILTER (WHERE d.date_key > f.first_date_key) AS returning_customers
            FROM customer_days d JOIN first_days f USING (customer_key) GROUP BY d.date_key
        ),
        attempts AS (
            SELECT {_date_key("payment_date")} AS date_key,
                   count(*) FILTER (WHERE status = 'captured') AS captured,
                   count(*) FILTER (WHERE status = 'refunded') AS refunded,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) AS attempts
            FROM payments GROUP BY 1
        ),
        daily AS (
            SELECT c.date_key, c.date, CAST(coalesce(s.revenue, 0) AS DECIMAL(18, 2)) AS revenue,
                   CAST(coalesce(s.orders, 0) AS BIGINT) AS orders,
                   CAST(coalesce(n.new_customers, 0) AS BIGINT) AS new_customers,
                   CAST(coalesce(n.returning_customers, 0) AS BIGINT) AS returning_customers,
                   coalesce(a.captured, 0) AS captured, coalesce(a.refunded, 0) AS refunded,
                   coalesce(a.failed, 0) AS failed, coalesce(a.attempts, 0) AS attempts
            FROM dim_date c
            LEFT JOIN sales s USING (date_key)
            LEFT JOIN customer_counts n USING (date_key)
            LEFT JOIN attempts a USING (date_key)
        )
        SELECT date_key, date, revenue, orders,
               {_half_up("revenue", "orders", 2, "DECIMAL(18, 2)")} AS average_order_value,
               new_customers, returning_customers,
               {_half_up("refunded", "captured + refunded", 4, "DECIMAL(9, 4)")} AS refund_rate,
               {_half_up("failed", "attempts", 4, "DECIMAL(9, 4)")} AS payment_failure_rate
        FROM daily ORDER BY date_key
    """,
}


def build_gold(context: PhaseContext) -> dict[str, Any]:
    import duckdb

    output = context.workspace.engine_output("duckdb")
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with measured(context.sampler) as build:
        connection = duckdb.connect()
        connection.create_function(
            "stable_key", _key_udf, ["VARCHAR"], "BIGINT", type="arrow", side_effects=False
        )
        for name, files in silver_parquet_files(context.workspace).items():
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r})")
        # The fact and the calendar are materialized once: kpi_daily reads them again.
        for name, sql in GOLD_SQL.items():
            connection.execute(f"CREATE TABLE {name} AS {sql}")
            connection.execute(f"COPY {name} TO '{_parquet(output, name)}' (FORMAT parquet)")
            build.rows += connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        connection.close()
    return {"build": build.to_json(), "format": "parquet", "path": str(output)}


def _parquet(folder: Path, name: str) -> str:
    return str(folder / f"{name}.parquet")
