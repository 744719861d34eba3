"""DAX measures of the model, written against contract names and resolved to display names.

``{table.column}`` stands for a column reference and ``{table}`` for a table reference, both
by contract name (e.g. ``{fact_order_lines.net_amount}`` -> ``'Order Lines'[Net Amount]``), so
a measure can never point at a column the gold contracts do not have: an unresolvable
reference drops the measure and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(?:\.([a-z0-9_]+))?\}")
NOT_CANCELLED = '{fact_order_lines.status} <> "cancelled"'


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    home_table: str  # contract name of the table the measure is shown on
    template: str
    format_string: str
    description: str
    display_folder: str


# Customers are counted by customer_id: dim_customer keeps one row per version (SCD2), and
# filtering it through the order lines (the expanded table) keeps those with orders. The
# unknown customer (key -1) stands for customers gold cannot name and is not counted.
ORDERING_CUSTOMERS = (
    "CALCULATETABLE(VALUES({dim_customer.customer_id}), "
    f"FILTER({{fact_order_lines}}, {NOT_CANCELLED}), {{dim_customer.customer_key}} <> -1)"
)

MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec(
        "Revenue",
        "fact_order_lines",
        "SUM({fact_order_lines.net_amount_reporting})",
        "#,0.00",
        "Net revenue in the reporting currency: order lines net of cancellations and returns.",
        "Sales",
    ),
    MeasureSpec(
        "Orders",
        "fact_order_lines",
        f"CALCULATE(DISTINCTCOUNT({{fact_order_lines.order_id}}), {NOT_CANCELLED})",
        "#,0",
        "Distinct orders placed, cancelled orders excluded.",
        "Sales",
    ),
    MeasureSpec(
        "Average Order Value",
        "fact_order_lines",
        "DIVIDE([Revenue], [Orders], 0)",
        "#,0.00",
        "Revenue / Orders; 0 when there are no orders.",
        "Sales",
    ),
    MeasureSpec(
        "Active Customers",
        "fact_order_lines",
        f"COUNTROWS({ORDERING_CUSTOMERS})",
        "#,0",
        "Customers with at least one non-cancelled order in the period.",
        "Customers",
    ),
    MeasureSpec(
        "New Customers",
        "fact_order_lines",
        """
VAR PeriodStart = MIN({dim_date.date})
VAR PeriodEnd = MAX({dim_date.date})
RETURN
    CALCULATE(
        DISTINCTCOUNT({dim_customer.customer_id}),
        {dim_customer.first_order_date} >= PeriodStart,
        {dim_customer.first_order_date} <= PeriodEnd
    )
""",
        "#,0",
        "Customers whose first non-cancelled order falls in the period.",
        "Customers",
    ),
    MeasureSpec(
        "Returning Customers",
        "fact_order_lines",
        f"""
VAR PeriodStart = MIN({{dim_date.date}})
VAR OrderingCustomers =
    {ORDERING_CUSTOMERS}
RETURN
    COUNTROWS(
        FILTER(
            OrderingCustomers,
            CALCULATE(MIN({{dim_customer.first_order_date}})) < PeriodStart
        )
    )
""",
        "#,0",
        "Customers ordering in the period who had ordered before it.",
        "Customers",
    ),
    MeasureSpec(
        "Retention Rate",
        "fact_order_lines",
        f"""
VAR CurrentCustomers =
    {ORDERING_CUSTOMERS}
VAR PreviousCustomers =
    CALCULATETABLE(
        {ORDERING_CUSTOMERS},
        DATEADD({{dim_date.date}}, -1, MONTH)
    )
RETURN
    DIVIDE(
        COUNTROWS(INTERSECT(PreviousCustomers, CurrentCustomers)),
        COUNTROWS(PreviousCustomers)
    )
""",
        "0.0%",
        "Share of the customers who ordered in the same period one month earlier "
        "who ordered again in this period.",
        "Customers",
    ),
    MeasureSpec(
        "Cohort Retention Rate",
        "fact_customer_retention",
        "DIVIDE(SUM({fact_customer_retention.active_customers}), "
        "SUM({fact_customer_retention.cohort_customers}))",
        "0.0%",
        "Active / cohort customers over the selected cohorts and activity months.",
        "Customers",
    ),
)


class UnresolvedReferenceError(KeyError):
    """A measure names a table or column the contracts do not have."""


def resolve(template: str, reference: Callable[[str, str | None], str]) -> str:
    """The template with every placeholder replaced by ``reference(table, column)``."""

    def substitute(match: re.Match[str]) -> str:
        return reference(match.group(1), match.group(2))

    return PLACEHOLDER.sub(substitute, template).strip()
