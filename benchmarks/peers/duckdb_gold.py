"""DuckDB peer: the gold tables in plain SQL, as a dbt-duckdb project would write them.

Surrogate keys come from a vectorised (Arrow) Python UDF calling the xxhash package once per
value, because DuckDB has no built-in XXH64 (its community extension `hashfuncs` has one, but
extensions cannot be downloaded here); the time spent in the UDF is reported beside the build. Money
ratios are rounded half-up in exact integer arithmetic (DuckDB divides decimals as doubles).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from benchmarks.measure import measured
from benchmarks.peers.keys import stable_keys
from benchmarks.peers.silver_files import silver_parquet_files
from benchmarks.workspace import PhaseContext


class _KeyUdf:
    """The key UDF, timing its own calls: how much of the build is Python hashing."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.values = 0

    def __call__(self, texts: pa.Array) -> pa.Array:
        started = time.perf_counter()
        keys = pa.array(stable_keys(texts.to_pylist()), type=pa.int64())
        self.seconds += time.perf_counter() - started
        self.values += len(texts)
        return keys


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


def _reporting(amount: str) -> str:
    """amount x fx_rate rounded half away from zero to cents (DuckDB's decimal ROUND)."""
    return f"CAST(round({amount} * fx_rate, 2) AS DECIMAL(18, 2))"


GOLD_SQL = {
    # A first build: every customer gets version 1, valid from registration, open-ended.
    "dim_customer": """
        WITH first_orders AS (
            SELECT customer_id, min(order_date) AS first_order_date
            FROM orders WHERE status <> 'cancelled' GROUP BY customer_id
        )
        SELECT stable_key(c.customer_id || chr(31) || '1') AS customer_key, c.customer_id,
               CAST(1 AS INTEGER) AS version, c.created_at AS valid_from,
               TIMESTAMPTZ '9999-12-31 00:00:00+00' AS valid_to, true AS is_current,
               c.loyalty_tier, c.country, c.email_token, c.birth_year, c.city,
               c.marketing_consent, c.is_deleted, c.created_at AS registered_at,
               f.first_order_date
        FROM customers c LEFT JOIN first_orders f USING (customer_id)
        ORDER BY c.customer_id
    """,
    "dim_product": """
        SELECT stable_key(product_id) AS product_key, product_id, sku, name, category, brand,
               unit_price, currency, active
        FROM products
    """,
    "dim_date": f"""
        WITH fact_dates AS (
            SELECT order_date AS d FROM orders
            UNION ALL SELECT payment_date FROM payments
            UNION ALL SELECT invoice_date FROM partner_sales
        ),
        days AS (
            SELECT CAST(unnest(generate_series(min(d), max(d), INTERVAL 1 DAY)) AS DATE) AS d
            FROM fact_dates
        )
        SELECT {_date_key("d")} AS date_key, d AS date, CAST(year(d) AS INTEGER) AS year,
               CAST(quarter(d) AS INTEGER) AS quarter, CAST(month(d) AS INTEGER) AS month,
               monthname(d) AS month_name, strftime(d, '%Y-%m') AS year_month,
               CAST(day(d) AS INTEGER) AS day_of_month,
               CAST(isodow(d) AS INTEGER) AS day_of_week, dayname(d) AS day_name,
               CAST(isoyear(d) AS INTEGER) AS iso_year, CAST(week(d) AS INTEGER) AS iso_week,
               CAST(isoyear(d) AS VARCHAR) || '-W' || lpad(CAST(week(d) AS VARCHAR), 2, '0')
                   AS iso_year_week,
               isodow(d) >= 6 AS is_weekend,
               CAST(year(d) + CASE WHEN month(d) >= 2 THEN 1 ELSE 0 END AS INTEGER)
                   AS fiscal_year,
               CAST(((month(d) + 10) % 12) // 3 + 1 AS INTEGER) AS fiscal_quarter,
               CAST((month(d) + 10) % 12 + 1 AS INTEGER) AS fiscal_month
        FROM days ORDER BY d
    """,
    # The customer version valid when the order was placed (version 1 for an order stamped
    # before registration); the rate of the order's currency valid on the order date; the
    # product's key hashed once per catalog product, as the platform does (-1: not in it).
    "fact_order_lines": f"""
        WITH product_keys AS (
            SELECT product_id, stable_key(product_id) AS product_key
            FROM (SELECT DISTINCT product_id FROM products)
        ),
        lines AS (
            SELECT l.*, o.customer_id, o.channel, o.currency, o.created_at AS placed_at,
                   coalesce(p.product_key, -1) AS product_key
            FROM order_lines l
            LEFT JOIN (SELECT order_id, customer_id, channel, currency, created_at FROM orders) o
                USING (order_id)
            LEFT JOIN product_keys p USING (product_id)
        ),
        keyed AS (
            SELECT lines.*, d.customer_key
            FROM lines LEFT JOIN dim_customer d
              ON d.customer_id = lines.customer_id
             AND ((placed_at >= d.valid_from AND placed_at < d.valid_to)
                  OR (d.version = 1 AND placed_at < d.valid_from))
        ),
        converted AS (
            SELECT k.*, r.rate_to_reporting AS fx_rate,
                   CASE WHEN k.status IN ('cancelled', 'returned')
                        THEN CAST(0 AS DECIMAL(18, 2)) ELSE k.line_amount END AS net_amount
            FROM keyed k ASOF LEFT JOIN fx_rates r
              ON k.currency = r.currency AND k.order_date >= r.rate_date
        )
        SELECT stable_key(order_id || chr(31) || CAST(line_number AS VARCHAR)) AS order_line_key,
               order_id, line_number, {_date_key("order_date")} AS date_key, customer_key,
               product_key, channel, status, quantity,
               CASE WHEN status IN ('cancelled', 'returned') THEN CAST(0 AS INTEGER)
                    ELSE quantity END AS net_quantity,
               unit_price, discount, line_amount AS gross_amount, net_amount, currency, fx_rate,
               {_reporting("line_amount")} AS gross_amount_reporting,
               {_reporting("net_amount")} AS net_amount_reporting
        FROM converted ORDER BY order_id, line_number
    """,
    "fact_payments": f"""
        WITH converted AS (
            SELECT p.*, r.rate_to_reporting AS fx_rate
            FROM payments p ASOF LEFT JOIN fx_rates r
              ON p.currency = r.currency AND p.payment_date >= r.rate_date
        ),
        reported AS (
            SELECT *, {_reporting("amount")} AS amount_reporting FROM converted
        )
        SELECT stable_key(payment_id) AS payment_key, payment_id, order_id,
               {_date_key("payment_date")} AS date_key, method, status, amount, currency,
               fx_rate, amount_reporting,
               CAST(amount_reporting * CASE status WHEN 'captured' THEN 1
                                                   WHEN 'refunded' THEN -1 ELSE 0 END
                    AS DECIMAL(18, 2)) AS net_collected_reporting
        FROM reported ORDER BY payment_id
    """,
    "kpi_daily": f"""
        WITH sales AS (
            SELECT date_key, sum(net_amount_reporting) AS revenue,
                   count(DISTINCT order_id) FILTER (WHERE status <> 'cancelled') AS orders
            FROM fact_order_lines GROUP BY date_key
        ),
        customer_days AS (
            SELECT DISTINCT c.customer_id, f.date_key
            FROM fact_order_lines f JOIN dim_customer c USING (customer_key)
            WHERE f.status <> 'cancelled'
        ),
        first_days AS (
            SELECT customer_id, min(date_key) AS first_date_key
            FROM customer_days GROUP BY customer_id
        ),
        customer_counts AS (
            SELECT d.date_key,
                   count(*) FILTER (WHERE d.date_key = f.first_date_key) AS new_customers,
                   count(*) FILTER (WHERE d.date_key > f.first_date_key) AS returning_customers
            FROM customer_days d JOIN first_days f USING (customer_id) GROUP BY d.date_key
        ),
        attempts AS (
            SELECT date_key,
                   count(*) FILTER (WHERE status = 'captured') AS captured,
                   count(*) FILTER (WHERE status = 'refunded') AS refunded,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) AS attempts
            FROM fact_payments GROUP BY date_key
        ),
        active AS (
            SELECT min(date_key) AS first, max(date_key) AS last FROM (
                SELECT date_key FROM fact_order_lines
                UNION ALL SELECT date_key FROM fact_payments
            )
        ),
        daily AS (
            SELECT c.date_key, c.date, CAST(coalesce(s.revenue, 0) AS DECIMAL(18, 2)) AS revenue,
                   CAST(coalesce(s.orders, 0) AS BIGINT) AS orders,
                   CAST(coalesce(n.new_customers, 0) AS BIGINT) AS new_customers,
                   CAST(coalesce(n.returning_customers, 0) AS BIGINT) AS returning_customers,
                   coalesce(a.captured, 0) AS captured, coalesce(a.refunded, 0) AS refunded,
                   coalesce(a.failed, 0) AS failed, coalesce(a.attempts, 0) AS attempts
            FROM dim_date c
            JOIN active ON c.date_key BETWEEN active.first AND active.last
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
    key_udf = _KeyUdf()
    with measured(context.sampler) as build:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        connection.create_function(
            "stable_key", key_udf, ["VARCHAR"], "BIGINT", type="arrow", side_effects=False
        )
        for name, files in silver_parquet_files(context.workspace).items():
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r})")
        # The fact and the calendar are materialized once: kpi_daily reads them again.
        for name, sql in GOLD_SQL.items():
            connection.execute(f"CREATE TABLE {name} AS {sql}")
            connection.execute(f"COPY {name} TO '{_parquet(output, name)}' (FORMAT parquet)")
            build.rows += connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        connection.close()
    return {
        "build": build.to_json(),
        "format": "parquet",
        "path": str(output),
        "key_udf": {"seconds": round(key_udf.seconds, 3), "values": key_udf.values},
    }


def _parquet(folder: Path, name: str) -> str:
    return str(folder / f"{name}.parquet")
