from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.gold.dimensions import build_dim_date
from retail_platform.transforms.gold.kpis import build_kpi_daily

D = Decimal
# (order_id, line_number, date_key, customer_key, status, net_amount_reporting)
FACTS = [
    ("O1", 1, 20261001, 1, "paid", "30.00"),
    ("O1", 2, 20261001, 1, "paid", "10.00"),
    ("O2", 1, 20261001, 2, "cancelled", "0.00"),
    ("O3", 1, 20261001, 3, "paid", "20.00"),
    ("O4", 1, 20261002, 1, "returned", "0.00"),
    ("O5", 1, 20261002, 4, "paid", "10.05"),  # customer_key 4 is C1's second version
    ("O6", 1, 20261003, 2, "paid", "7.00"),
]
# customer_key -> customer_id: a customer with two versions is still one customer.
CUSTOMERS = pl.LazyFrame(
    {"customer_key": [1, 2, 3, 4], "customer_id": ["C1", "C2", "C3", "C1"]},
    schema={"customer_key": pl.Int64, "customer_id": pl.String},
)


def fact_order_lines() -> pl.LazyFrame:
    schema = gold.FACT_ORDER_LINES.polars_schema
    rows = [
        {
            **dict.fromkeys(schema.names()),
            "order_line_key": index,
            "order_id": order_id,
            "line_number": line_number,
            "date_key": day_key,
            "customer_key": customer_key,
            "status": status,
            "net_amount_reporting": D(net),
        }
        for index, (order_id, line_number, day_key, customer_key, status, net) in enumerate(FACTS)
    ]
    return pl.LazyFrame(rows, schema=schema)


def fact_payments() -> pl.LazyFrame:
    statuses_by_day = {
        20261001: ["captured"] * 31 + ["refunded"],
        20261002: ["captured", "failed", "failed"],
        20261003: ["failed"],
        20261005: ["refunded"],
    }
    schema = gold.FACT_PAYMENTS.polars_schema
    rows = [
        {**dict.fromkeys(schema.names()), "payment_key": index, "date_key": day, "status": status}
        for day, statuses in statuses_by_day.items()
        for index, status in enumerate(statuses)
    ]
    return pl.LazyFrame(rows, schema=schema)


def test_kpi_daily_has_one_row_per_calendar_day_with_hand_computed_figures() -> None:
    dim_date = build_dim_date(date(2026, 10, 1), date(2026, 10, 4))

    kpis = build_kpi_daily(fact_order_lines(), fact_payments(), CUSTOMERS, dim_date).collect()

    assert kpis.schema == gold.KPI_DAILY.polars_schema
    assert kpis.rows() == [
        # Day 1: revenue 30 + 10 + 20; O2 cancelled is no order; C1 and C3 are new, C2 only
        # cancelled. Refunds 1 / (31 + 1) = 0.03125 -> 0.0313 (half-up); no failures.
        (20261001, date(2026, 10, 1), D("60.00"), 2, D("30.00"), 2, 0,
         D("0.0313"), D("0.0000")),
        # Day 2: C1 again (returned O4 still counts as an order, net 0; O5 under C1's second
        # version) -> one returning customer; AOV 10.05 / 2 = 5.025 -> 5.03 (half-up).
        # Failures 2 / 3 -> 0.6667.
        (20261002, date(2026, 10, 2), D("10.05"), 2, D("5.03"), 0, 1,
         D("0.0000"), D("0.6667")),
        # Day 3: C2's first non-cancelled order -> new. No captured/refunded -> rate 0.
        (20261003, date(2026, 10, 3), D("7.00"), 1, D("7.00"), 1, 0,
         D("0.0000"), D("1.0000")),
        # Day 4: nothing happened -> zeros. Day 5's refund is outside dim_date.
        (20261004, date(2026, 10, 4), D("0.00"), 0, D("0.00"), 0, 0,
         D("0.0000"), D("0.0000")),
    ]  # fmt: skip


def test_kpi_days_run_from_the_first_to_the_last_order_or_payment_day() -> None:
    # dim_date is wider (partner sales can widen it): Sep 29-30 and Oct 6 are not KPI days.
    dim_date = build_dim_date(date(2026, 9, 29), date(2026, 10, 6))

    kpis = build_kpi_daily(fact_order_lines(), fact_payments(), CUSTOMERS, dim_date).collect()

    assert kpis.get_column("date_key").to_list() == [
        20261001,
        20261002,
        20261003,
        20261004,
        20261005,
    ]
    # Day 5: only a refund: 1 / (0 + 1) = 1.
    assert kpis.row(4)[2:] == (D("0.00"), 0, D("0.00"), 0, 0, D("1.0000"), D("0.0000"))


def test_kpi_daily_with_no_facts_and_no_payments_is_empty() -> None:
    dim_date = build_dim_date(date(2026, 10, 1), date(2026, 10, 1))

    kpis = build_kpi_daily(
        fact_order_lines().clear(), fact_payments().clear(), CUSTOMERS, dim_date
    ).collect()

    assert kpis.height == 0


def test_orders_of_the_unknown_customer_earn_revenue_but_count_as_no_customer() -> None:
    from retail_platform.transforms.gold.kpis import customer_order_days

    facts = fact_order_lines().with_columns(
        pl.when(pl.col("order_id") == "O3").then(-1).otherwise("customer_key").alias("customer_key")
    )
    customers = pl.concat(
        [CUSTOMERS, pl.LazyFrame({"customer_key": [-1], "customer_id": ["<unknown>"]})]
    )

    days = customer_order_days(facts, customers).collect()
    kpis = build_kpi_daily(
        facts, fact_payments(), customers, build_dim_date(date(2026, 10, 1), date(2026, 10, 5))
    ).collect()

    assert "<unknown>" not in days.get_column("customer_id").to_list()
    oct_1 = kpis.filter(pl.col("date") == date(2026, 10, 1)).row(0, named=True)
    # O1 (30.00 + 10.00) and O3 (20.00, customer unknown); new customers: C1 only (C2 cancelled)
    assert (oct_1["revenue"], oct_1["orders"], oct_1["new_customers"]) == (D("60.00"), 2, 1)
