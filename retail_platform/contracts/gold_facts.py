"""Gold contracts of the facts and marts; amounts in the transaction and reporting currency."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import MONEY, PRICE, RATE, TableContract, copied, derived
from retail_platform.contracts.silver import FX_RATE

FX = "silver/fx_rates.rate_to_reporting"
_LINES = "silver/order_lines"
_PAY = "silver/payments"
_SALES = "silver/partner_sales"
_FACT = "gold/fact_order_lines"

FACT_ORDER_LINES = TableContract(
    "fact_order_lines",
    "One row per order line at the order's latest version; net of cancellations and returns.",
    (
        derived(
            "order_line_key",
            pl.Int64,
            "Surrogate key: hash of order_id and line_number.",
            f"{_LINES}.order_id",
            f"{_LINES}.line_number",
        ),
        derived("order_id", pl.String, "Order identifier (degenerate).", f"{_LINES}.order_id"),
        derived("line_number", pl.Int32, "Line number in the order.", f"{_LINES}.line_number"),
        derived("date_key", pl.Int32, "Order date -> dim_date.", f"{_LINES}.order_date"),
        derived(
            "customer_key",
            pl.Int64,
            "-> dim_customer: the customer's version when the order was placed.",
            "silver/orders.customer_id",
            "silver/orders.created_at",
        ),
        derived("product_key", pl.Int64, "-> dim_product.", f"{_LINES}.product_id"),
        derived("channel", pl.String, "web, app or store.", "silver/orders.channel", nullable=True),
        derived("status", pl.String, "Order status.", f"{_LINES}.status"),
        derived("quantity", pl.Int32, "Units ordered.", f"{_LINES}.quantity"),
        derived(
            "net_quantity",
            pl.Int32,
            "quantity, or 0 when the order was cancelled or returned.",
            f"{_LINES}.quantity",
            f"{_LINES}.status",
        ),
        derived("unit_price", PRICE, "Price per unit as delivered.", f"{_LINES}.unit_price"),
        derived("discount", MONEY, "Discount on the line.", f"{_LINES}.discount"),
        derived(
            "gross_amount",
            MONEY,
            "quantity x unit_price - discount, in the order currency.",
            f"{_LINES}.line_amount",
        ),
        derived(
            "net_amount",
            MONEY,
            "gross_amount, or 0 when the order was cancelled or returned.",
            f"{_LINES}.line_amount",
            f"{_LINES}.status",
        ),
        derived("currency", pl.String, "ISO-4217 order currency.", "silver/orders.currency"),
        derived("fx_rate", FX_RATE, "Reporting value of 1 unit of currency that day.", FX),
        derived(
            "gross_amount_reporting",
            MONEY,
            "gross_amount x fx_rate, rounded half-up to cents.",
            f"{_LINES}.line_amount",
            FX,
        ),
        derived(
            "net_amount_reporting",
            MONEY,
            "net_amount x fx_rate, rounded half-up to cents: the revenue measure.",
            f"{_LINES}.line_amount",
            f"{_LINES}.status",
            FX,
        ),
    ),
    primary_key=("order_line_key",),
    # Fact slices replace the rows of the affected dates.
    cluster_by=("date_key",),
    foreign_keys={
        "date_key": "dim_date",
        "customer_key": "dim_customer",
        "product_key": "dim_product",
    },
)

FACT_PAYMENTS = TableContract(
    "fact_payments",
    "One row per payment attempt: captured, failed or refunded.",
    (
        *copied(
            _PAY,
            (
                ("payment_key", pl.Int64, "Surrogate key: hash of payment_id.", "payment_id"),
                ("payment_id", pl.String, "Payment identifier.", "payment_id"),
                ("order_id", pl.String, "Order paid (degenerate).", "order_id"),
                ("date_key", pl.Int32, "Payment date -> dim_date.", "payment_date"),
            ),
        ),
        derived(
            "method",
            pl.String,
            "card, paypal, klarna or gift_card.",
            f"{_PAY}.method",
            nullable=True,
        ),
        *copied(
            _PAY,
            (
                ("status", pl.String, "captured, failed or refunded.", "status"),
                ("amount", MONEY, "Amount in the payment currency.", "amount"),
                ("currency", pl.String, "ISO-4217 payment currency.", "currency"),
            ),
        ),
        derived("fx_rate", FX_RATE, "Reporting value of 1 unit of currency that day.", FX),
        derived(
            "amount_reporting",
            MONEY,
            "amount x fx_rate, rounded half-up to cents.",
            f"{_PAY}.amount",
            FX,
        ),
        derived(
            "net_collected_reporting",
            MONEY,
            "amount_reporting if captured, minus it if refunded, 0 if failed.",
            f"{_PAY}.amount",
            f"{_PAY}.status",
            FX,
        ),
    ),
    primary_key=("payment_key",),
    cluster_by=("date_key",),
    foreign_keys={"date_key": "dim_date"},
)

FACT_PARTNER_SALES = TableContract(
    "fact_partner_sales",
    "One row per partner sales line; cancellations and returns are negative, so sums are net.",
    (
        derived(
            "partner_sale_key",
            pl.Int64,
            "Surrogate key: hash of partner_id, invoice_no and stock_code.",
            f"{_SALES}.partner_id",
            f"{_SALES}.invoice_no",
            f"{_SALES}.stock_code",
        ),
        derived("partner_key", pl.Int64, "-> dim_partner.", f"{_SALES}.partner_id"),
        derived(
            "product_key",
            pl.Int64,
            "-> dim_product, through the sku.",
            f"{_SALES}.stock_code",
            "silver/products.sku",
        ),
        *copied(
            _SALES,
            (
                ("date_key", pl.Int32, "Invoice date -> dim_date.", "invoice_date"),
                ("invoice_no", pl.String, "Invoice number.", "invoice_no"),
                ("is_cancellation", pl.Boolean, "A cancellation invoice.", "is_cancellation"),
                ("country", pl.String, "Country name of the buyer.", "country"),
                ("quantity", pl.Int32, "Units; negative if cancelled or returned.", "quantity"),
                ("unit_price", PRICE, "Price per unit as delivered.", "unit_price"),
                (
                    "net_amount",
                    MONEY,
                    "round(quantity x unit_price, 2) half away from zero (signed).",
                    "line_amount",
                ),
                ("currency", pl.String, "ISO-4217 currency.", "currency"),
            ),
        ),
        derived("fx_rate", FX_RATE, "Reporting value of 1 unit of currency that day.", FX),
        derived(
            "net_amount_reporting",
            MONEY,
            "net_amount x fx_rate, rounded half-up to cents.",
            f"{_SALES}.line_amount",
            FX,
        ),
    ),
    primary_key=("partner_sale_key",),
    cluster_by=("date_key",),
    foreign_keys={
        "date_key": "dim_date",
        "partner_key": "dim_partner",
        "product_key": "dim_product",
    },
)

FACT_CUSTOMER_RETENTION = TableContract(
    "fact_customer_retention",
    "Cohorts by first-order month: for each later month, how many of the cohort ordered and "
    "what they spent (reporting currency). Every month from the cohort's to the last is listed.",
    (
        derived(
            "cohort_month",
            pl.Date,
            "First day of the month of the customers' first non-cancelled order.",
            f"{_FACT}.date_key",
            f"{_FACT}.status",
            "gold/dim_customer.customer_id",
        ),
        derived("activity_month", pl.Date, "First day of the activity month.", f"{_FACT}.date_key"),
        derived("months_since_first_order", pl.Int32, "activity_month - cohort_month, in months."),
        derived(
            "cohort_customers",
            pl.Int64,
            "Customers in the cohort.",
            "gold/dim_customer.customer_id",
        ),
        derived(
            "active_customers",
            pl.Int64,
            "Cohort customers with a non-cancelled order in activity_month.",
            f"{_FACT}.customer_key",
            f"{_FACT}.status",
        ),
        derived(
            "retention_rate",
            RATE,
            "active_customers / cohort_customers, rounded half-up to 4 decimals.",
        ),
        derived(
            "revenue",
            MONEY,
            "Sum of net_amount_reporting of the cohort's orders in activity_month.",
            f"{_FACT}.net_amount_reporting",
        ),
    ),
    primary_key=("cohort_month", "activity_month"),
    cluster_by=("cohort_month",),
)

KPI_DAILY = TableContract(
    "kpi_daily",
    "Daily business KPIs for every day from the first to the last order or payment; money in "
    "the reporting currency (RETAIL_REPORTING_CURRENCY, EUR by default).",
    (
        derived("date_key", pl.Int32, "-> dim_date.", "gold/dim_date.date_key"),
        derived("date", pl.Date, "Calendar date.", "gold/dim_date.date"),
        derived(
            "revenue",
            MONEY,
            "Sum of net_amount_reporting of orders placed that day (cancelled and returned "
            "orders count 0).",
            f"{_FACT}.net_amount_reporting",
        ),
        derived(
            "orders",
            pl.Int64,
            "Orders placed that day, cancelled excluded.",
            f"{_FACT}.order_id",
            f"{_FACT}.status",
        ),
        derived(
            "average_order_value",
            MONEY,
            "revenue / orders; 0 when there are no orders.",
            f"{_FACT}.net_amount_reporting",
            f"{_FACT}.order_id",
        ),
        derived(
            "new_customers",
            pl.Int64,
            "Customers whose first non-cancelled order was that day.",
            f"{_FACT}.customer_key",
            "gold/dim_customer.customer_id",
        ),
        derived(
            "returning_customers",
            pl.Int64,
            "Customers ordering that day who ordered before.",
            f"{_FACT}.customer_key",
            "gold/dim_customer.customer_id",
        ),
        derived(
            "refund_rate",
            RATE,
            "refunded / (captured + refunded) payments that day.",
            "gold/fact_payments.status",
        ),
        derived(
            "payment_failure_rate",
            RATE,
            "failed / all payment attempts that day.",
            "gold/fact_payments.status",
        ),
    ),
    primary_key=("date_key",),
    cluster_by=("date_key",),
    foreign_keys={"date_key": "dim_date"},
)
