"""What `make demo` prints at the end, read back from Snowflake (RETAIL.GOLD) with plain SQL:
the latest day's KPIs, the revenue by month and by currency in the reporting currency, and the
customer retention table (cohort month x months since the first order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Printer = Callable[[str], None]
REPORTING_CURRENCY = "EUR"


def print_kpis(cursor: Any, echo: Printer) -> None:
    cursor.execute(
        "SELECT SUM(revenue), SUM(orders), SUM(new_customers), MIN(date), MAX(date) FROM KPI_DAILY"
    )
    revenue, orders, new_customers, first, last = cursor.fetchone()
    cursor.execute(
        "SELECT date, revenue, orders, average_order_value, payment_failure_rate "
        "FROM KPI_DAILY ORDER BY date DESC LIMIT 7"
    )
    recent = cursor.fetchall()
    echo("")
    echo(f"KPIs from Snowflake RETAIL.GOLD.KPI_DAILY, {first} .. {last}")
    echo(
        f"  revenue {revenue:,.2f} {REPORTING_CURRENCY}   orders {int(orders):,}   "
        f"new customers {int(new_customers):,}   "
        f"average order value {revenue / max(int(orders), 1):,.2f} {REPORTING_CURRENCY}"
    )
    if recent:
        day, day_revenue, day_orders, aov, failure_rate = recent[0]
        echo(
            f"  latest day {day}: revenue {day_revenue:,.2f} {REPORTING_CURRENCY}, "
            f"orders {int(day_orders):,}, AOV {aov:,.2f}, payment failures "
            f"{float(failure_rate):.1%}"
        )
    echo("  last 7 days   revenue EUR   orders      AOV   payment failures")
    for day, day_revenue, day_orders, aov, failure_rate in recent:
        echo(
            f"  {day}  {day_revenue:>12,.2f}  {int(day_orders):>7,}  {aov:>7,.2f}"
            f"   {float(failure_rate):>6.1%}"
        )


def print_monthly_revenue(cursor: Any, echo: Printer) -> None:
    cursor.execute(
        "SELECT DATE_TRUNC('MONTH', date) AS month, SUM(revenue), SUM(orders) "
        "FROM KPI_DAILY GROUP BY 1 ORDER BY 1"
    )
    months = cursor.fetchall()
    echo("")
    echo(f"Revenue by month ({REPORTING_CURRENCY}, RETAIL.GOLD.KPI_DAILY)")
    echo("  month        revenue EUR   orders")
    for month, revenue, orders in months:
        echo(f"  {str(month)[:7]}  {revenue:>14,.2f}  {int(orders):>7,}")
    cursor.execute(
        "SELECT currency, COUNT(*), SUM(net_amount), SUM(net_amount_reporting) "
        "FROM FACT_ORDER_LINES GROUP BY currency ORDER BY 4 DESC"
    )
    echo(f"Order lines by currency (RETAIL.GOLD.FACT_ORDER_LINES, net, in {REPORTING_CURRENCY})")
    for currency, lines, net, net_reporting in cursor.fetchall():
        echo(
            f"  {currency}  {int(lines):>8,} lines  {net:>14,.2f} {currency}"
            f"  = {net_reporting:>14,.2f} {REPORTING_CURRENCY}"
        )


def retention_grid(rows: list[tuple[Any, int, Any, int]]) -> tuple[list[str], int, dict]:
    """(cohort, months since, rate, size) rows -> cohorts, max offset, {(cohort, m): rate}."""
    cells = {(str(cohort)[:7], int(offset)): float(rate) for cohort, offset, rate, _ in rows}
    cohorts = sorted({cohort for cohort, _ in cells})
    width = max((offset for _, offset in cells), default=0)
    return cohorts, width, cells


def print_retention(cursor: Any, echo: Printer) -> None:
    cursor.execute(
        "SELECT cohort_month, months_since_first_order, retention_rate, cohort_customers "
        "FROM FACT_CUSTOMER_RETENTION ORDER BY 1, 2"
    )
    rows = cursor.fetchall()
    sizes = {str(cohort)[:7]: int(size) for cohort, _, _, size in rows}
    cohorts, width, cells = retention_grid(rows)
    echo("")
    echo(
        f"Customer retention (RETAIL.GOLD.FACT_CUSTOMER_RETENTION): {len(cohorts)} cohorts, "
        "share of each first-order month's customers active N months later"
    )
    echo("  cohort   size " + "".join(f"{f'M{m}':>6}" for m in range(width + 1)))
    for cohort in cohorts:
        line = "".join(
            f"{cells[(cohort, m)]:>6.0%}" if (cohort, m) in cells else " " * 6
            for m in range(width + 1)
        )
        echo(f"  {cohort} {sizes[cohort]:>5} {line}")
