"""PySpark peer (local mode): the gold tables in Spark SQL.

Local mode on every core, shuffle partitions set to the core count (the default of 200 is
tuned for clusters), UTC session time zone. Surrogate keys are Spark's native `xxhash64` of the
parts joined with chr(31): Spark's xxhash64 of one string is XXH64 with seed 42 over its UTF-8
bytes, the platform's rule, so the equality check proves a Spark user recomputes the keys in SQL.
(Spark's xxhash64(NULL) is 42, not NULL; the natural-key columns hashed here are never null in
silver, whose checks quarantine a row without its key.)
SparkSession start-up (the JVM) is measured apart from the build and reported beside it.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from benchmarks.measure import Measurement, measured
from benchmarks.peers.silver_files import silver_parquet_files
from benchmarks.workspace import PhaseContext


class SparkUnavailableError(RuntimeError):
    """PySpark is not installed or its JVM cannot start; the peer is skipped with this reason."""


def _date_key(column: str) -> str:
    return f"CAST(year({column}) * 10000 + month({column}) * 100 + day({column}) AS INT)"


def _half_up(numerator: str, denominator: str, decimals: int, dtype: str) -> str:
    unit = 10**decimals
    scaled = f"CAST(({numerator}) * {unit} AS BIGINT)"
    quotient = f"(2 * {scaled} + ({denominator})) div (2 * ({denominator}))"
    fraction = f"CAST(1 AS DECIMAL(38, {decimals})) / {unit}"
    return (
        f"CAST(CASE WHEN ({denominator}) > 0 "
        f"THEN CAST({quotient} AS DECIMAL(38, 0)) * ({fraction}) ELSE 0 END AS {dtype})"
    )


def _reporting(amount: str) -> str:
    """amount x fx_rate rounded half-up (away from zero) to cents: Spark's decimal round."""
    return f"CAST(round({amount} * fx_rate, 2) AS DECIMAL(18, 2))"


# Spark has no as-of join: each rate is valid from its date until the currency's next one.
_RATE_PERIODS = """
    SELECT currency, rate_date, rate_to_reporting AS fx_rate,
           lead(rate_date) OVER (PARTITION BY currency ORDER BY rate_date) AS next_rate_date
    FROM fx_rates
"""


def _rate_on(alias: str, day: str) -> str:
    return (
        f"r.currency = {alias}.currency AND {day} >= r.rate_date "
        f"AND (r.next_rate_date IS NULL OR {day} < r.next_rate_date)"
    )


def gold_sql() -> dict[str, str]:
    """Spark's dialect of the DuckDB peer's SQL (same rules, see duckdb_gold)."""
    return {
        "dim_customer": """
            SELECT xxhash64(concat_ws(char(31), c.customer_id, '1')) AS customer_key,
                   c.customer_id, 1 AS version, c.created_at AS valid_from,
                   TIMESTAMP '9999-12-31 00:00:00' AS valid_to, true AS is_current,
                   c.loyalty_tier, c.country, c.email_token, c.birth_year, c.city,
                   c.marketing_consent, c.is_deleted, c.created_at AS registered_at,
                   f.first_order_date
            FROM customers c LEFT JOIN (
                SELECT customer_id, min(order_date) AS first_order_date
                FROM orders WHERE status <> 'cancelled' GROUP BY customer_id
            ) f ON c.customer_id = f.customer_id
        """,
        "dim_product": """
            SELECT xxhash64(product_id) AS product_key, product_id, sku, name, category,
                   brand, unit_price, currency, active
            FROM products
        """,
        "dim_date": f"""
            SELECT {_date_key("d")} AS date_key, d AS date, year(d) AS year,
                   quarter(d) AS quarter, month(d) AS month, date_format(d, 'MMMM') AS month_name,
                   date_format(d, 'yyyy-MM') AS year_month, dayofmonth(d) AS day_of_month,
                   (dayofweek(d) + 5) % 7 + 1 AS day_of_week,
                   date_format(d, 'EEEE') AS day_name,
                   CAST(extract(YEAROFWEEK FROM d) AS INT) AS iso_year,
                   weekofyear(d) AS iso_week,
                   concat(CAST(extract(YEAROFWEEK FROM d) AS STRING), '-W',
                          lpad(CAST(weekofyear(d) AS STRING), 2, '0')) AS iso_year_week,
                   (dayofweek(d) + 5) % 7 + 1 >= 6 AS is_weekend,
                   year(d) + CASE WHEN month(d) >= 2 THEN 1 ELSE 0 END AS fiscal_year,
                   ((month(d) + 10) % 12) div 3 + 1 AS fiscal_quarter,
                   (month(d) + 10) % 12 + 1 AS fiscal_month
            FROM (
                SELECT explode(sequence(min(d), max(d), INTERVAL 1 DAY)) AS d
                FROM (
                    SELECT order_date AS d FROM orders
                    UNION ALL SELECT payment_date FROM payments
                    UNION ALL SELECT invoice_date FROM partner_sales
                )
            )
        """,
        "fact_order_lines": f"""
            WITH lines AS (
                SELECT l.*, o.customer_id, o.channel, o.currency, o.created_at AS placed_at,
                       CASE WHEN l.status IN ('cancelled', 'returned')
                            THEN CAST(0 AS DECIMAL(18, 2)) ELSE l.line_amount END AS net_amount
                FROM order_lines l LEFT JOIN orders o ON l.order_id = o.order_id
            ),
            keyed AS (
                SELECT lines.*, d.customer_key
                FROM lines LEFT JOIN dim_customer d
                  ON d.customer_id = lines.customer_id
                 AND ((placed_at >= d.valid_from AND placed_at < d.valid_to)
                      OR (d.version = 1 AND placed_at < d.valid_from))
            ),
            converted AS (
                SELECT k.*, r.fx_rate
                FROM keyed k LEFT JOIN ({_RATE_PERIODS}) r ON {_rate_on("k", "k.order_date")}
            )
            SELECT xxhash64(concat_ws(char(31), order_id, CAST(line_number AS STRING)))
                       AS order_line_key,
                   order_id, line_number, {_date_key("order_date")} AS date_key, customer_key,
                   xxhash64(product_id) AS product_key, channel, status, quantity,
                   CASE WHEN status IN ('cancelled', 'returned') THEN 0 ELSE quantity END
                       AS net_quantity,
                   unit_price, discount, line_amount AS gross_amount, net_amount, currency,
                   fx_rate, {_reporting("line_amount")} AS gross_amount_reporting,
                   {_reporting("net_amount")} AS net_amount_reporting
            FROM converted
        """,
        "fact_payments": f"""
            WITH converted AS (
                SELECT p.*, r.fx_rate
                FROM payments p
                LEFT JOIN ({_RATE_PERIODS}) r ON {_rate_on("p", "p.payment_date")}
            ),
            reported AS (SELECT *, {_reporting("amount")} AS amount_reporting FROM converted)
            SELECT xxhash64(payment_id) AS payment_key, payment_id, order_id,
                   {_date_key("payment_date")} AS date_key, method, status, amount, currency,
                   fx_rate, amount_reporting,
                   CAST(amount_reporting * CASE status WHEN 'captured' THEN 1
                                                       WHEN 'refunded' THEN -1 ELSE 0 END
                        AS DECIMAL(18, 2)) AS net_collected_reporting
            FROM reported
        """,
        "kpi_daily": f"""
            WITH sales AS (
                SELECT date_key, sum(net_amount_reporting) AS revenue,
                       count(DISTINCT CASE WHEN status <> 'cancelled' THEN order_id END) AS orders
                FROM fact_order_lines GROUP BY date_key
            ),
            customer_days AS (
                SELECT DISTINCT c.customer_id, f.date_key
                FROM fact_order_lines f JOIN dim_customer c ON f.customer_key = c.customer_key
                WHERE f.status <> 'cancelled'
            ),
            first_days AS (
                SELECT customer_id, min(date_key) AS first_date_key
                FROM customer_days GROUP BY customer_id
            ),
            customer_counts AS (
                SELECT d.date_key,
                       sum(CASE WHEN d.date_key = f.first_date_key THEN 1 ELSE 0 END)
                           AS new_customers,
                       sum(CASE WHEN d.date_key > f.first_date_key THEN 1 ELSE 0 END)
                           AS returning_customers
                FROM customer_days d JOIN first_days f ON d.customer_id = f.customer_id
                GROUP BY d.date_key
            ),
            attempts AS (
                SELECT date_key,
                       sum(CASE WHEN status = 'captured' THEN 1 ELSE 0 END) AS captured,
                       sum(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) AS refunded,
                       sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
                       count(*) AS attempts
                FROM fact_payments GROUP BY date_key
            ),
            active AS (
                SELECT min(date_key) AS first_day, max(date_key) AS last_day FROM (
                    SELECT date_key FROM fact_order_lines
                    UNION ALL SELECT date_key FROM fact_payments
                )
            ),
            daily AS (
                SELECT c.date_key, c.date,
                       CAST(coalesce(s.revenue, 0) AS DECIMAL(18, 2)) AS revenue,
                       CAST(coalesce(s.orders, 0) AS BIGINT) AS orders,
                       CAST(coalesce(n.new_customers, 0) AS BIGINT) AS new_customers,
                       CAST(coalesce(n.returning_customers, 0) AS BIGINT) AS returning_customers,
                       coalesce(a.captured, 0) AS captured, coalesce(a.refunded, 0) AS refunded,
                       coalesce(a.failed, 0) AS failed, coalesce(a.attempts, 0) AS attempts
                FROM dim_date c
                JOIN active ON c.date_key BETWEEN active.first_day AND active.last_day
                LEFT JOIN sales s ON c.date_key = s.date_key
                LEFT JOIN customer_counts n ON c.date_key = n.date_key
                LEFT JOIN attempts a ON c.date_key = a.date_key
            )
            SELECT date_key, date, revenue, orders,
                   {_half_up("revenue", "orders", 2, "DECIMAL(18, 2)")} AS average_order_value,
                   new_customers, returning_customers,
                   {_half_up("refunded", "captured + refunded", 4, "DECIMAL(9, 4)")}
                       AS refund_rate,
                   {_half_up("failed", "attempts", 4, "DECIMAL(9, 4)")} AS payment_failure_rate
            FROM daily
        """,
    }


def start_session(cores: int, memory: str) -> Any:
    """A local SparkSession; SparkUnavailableError (with the reason) when it cannot start."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkUnavailableError(
            f"pyspark is not installed ({error}); `make bench` installs the bench group"
        ) from error
    try:
        return (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("retail-platform-bench")
            .config("spark.driver.memory", memory)
            .config("spark.sql.shuffle.partitions", str(cores))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except Exception as error:  # the JVM failing to start surfaces as many exception types
        raise SparkUnavailableError(f"the Spark JVM did not start: {error}") from error


def build_gold(context: PhaseContext) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    with measured(context.sampler) as startup:
        spark = start_session(cores, context.options.get("spark_memory", "3g"))
    try:
        return _build(context, spark) | {"startup": startup.to_json()}
    finally:
        spark.stop()


def _build(context: PhaseContext, spark: Any) -> dict[str, Any]:
    output = context.workspace.engine_output("pyspark")
    shutil.rmtree(output, ignore_errors=True)
    build: Measurement
    with measured(context.sampler) as build:
        for name, files in silver_parquet_files(context.workspace).items():
            spark.read.parquet(*files).createOrReplaceTempView(name)
        for name, sql in gold_sql().items():
            frame = spark.sql(sql)
            path = str(output / name)
            frame.write.mode("overwrite").parquet(path)
            # kpi_daily reads the fact and calendar back, as the platform's asset does.
            spark.read.parquet(path).createOrReplaceTempView(name)
            build.rows += spark.read.parquet(path).count()
    return {"build": build.to_json(), "format": "parquet", "path": str(output)}
