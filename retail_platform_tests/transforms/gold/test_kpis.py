from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.transforms.gold.dimensions import build_dim_date
from retail_platform.transforms.gold.kpis import build_kpi_daily

# (order_id, line_number, date_key, customer_key, status, net_amount)
FACTS = [
    ("O1", 1, 20261001, 1, "paid", "30.00"),
    ("O1", 2, 20261001, 1, "paid", "10.00"),
    ("O2", 1, 20261001, 2, "cancelled", "0.00"),
    ("O3", 1, 20261001, 3, "paid", "20.00"),
    ("O4", 1, 20261002, 1, "returned", "0.00"),
    ("O5", 1, 20261002, 1, "paid", "10.05"),
    ("O6", 1, 20261003, 2, "paid", "7.00"),
]


def fact_order_lines() -> pl.LazyFrame:
    return pl.LazyFrame(
        [
            {
                "order_line_key": index,
                "order_id": order_id,
                "line_number": line_number,
                "date_key": day_key,
                "customer_key": customer_key,
                "product_key": 100,
                "channel": "web",
                "status": status,
                "quantity": 1,
                "unit_price": Decimal("50.00"),
                "discount": Decimal("0.00"),
                "gross_amount": Decimal("50.00"),
                "net_amount": Decimal(net),
                "currency": "EUR",
            }
            for index, (order_id, line_number, day_key, customer_key, status, net) in enumerate(
                FACTS
            )
        ],
        schema=gold.FACT_ORDER_LINES.polars_schema,
    )


def payments() -> pl.LazyFrame:
    statuses_by_day = {
        date(2026, 10, 1): ["captured"] * 31 + ["refunded"],
        date(2026, 10, 2): ["captured", "failed", "failed"],
        date(2026, 10, 3): ["failed"],
        date(2026, 10, 5): ["refunded"],  # outside dim_date: not reported
    }
    rows = [
        {
            "payment_id": f"{day}-{index}",
            "order_id": "O1",
            "amount": Decimal("1.00"),
            "currency": "EUR",
            "method": "card",
            "status": status,
            "created_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            "payment_date": day,
        }
        for day, statuses in statuses_by_day.items()
        for index, status in enumerate(statuses)
    ]
    return pl.LazyFrame(rows, schema=silver.PAYMENTS.polars_schema)


def test_kpi_daily_has_one_row_per_calendar_day_with_hand_computed_figures() -> None:
    dim_date = build_dim_date(date(2026, 10, 1), date(2026, 10, 4))

    kpis = build_kpi_daily(fact_order_lines(), payments(), dim_date).collect()

    assert kpis.schema == gold.KPI_DAILY.polars_schema
    assert kpis.rows() == [
        # Day 1: revenue 30 + 10 + 20; O2 cancelled is no order; C1 and C3 are new, C2 only
        # cancelled. Refunds 1 / (31 + 1) = 0.03125 -> 0.0313 (half-up); no failures.
        (20261001, date(2026, 10, 1), Decimal("60.00"), 2, Decimal("30.00"), 2, 0,
         Decimal("0.0313"), Decimal("0.0000")),
        # Day 2: C1 again (returned O4 still counts as an order, net 0) -> returning once;
        # AOV 10.05 / 2 = 5.025 -> 5.03 (half-up). Failures 2 / 3 -> 0.6667.
        (20261002, date(2026, 10, 2), Decimal("10.05"), 2, Decimal("5.03"), 0, 1,
         Decimal("0.0000"), Decimal("0.6667")),
        # Day 3: C2's first non-cancelled order -> new. No captured/refunded -> rate 0.
        (20261003, date(2026, 10, 3), Decimal("7.00"), 1, Decimal("7.00"), 1, 0,
         Decimal("0.0000"), Decimal("1.0000")),
        # Day 4: nothing happened -> zeros.
        (20261004, date(2026, 10, 4), Decimal("0.00"), 0, Decimal("0.00"), 0, 0,
         Decimal("0.0000"), Decimal("0.0000")),
    ]  # fmt: skip


def test_kpi_daily_with_no_facts_and_no_payments_is_all_zeros() -> None:
    dim_date = build_dim_date(date(2026, 10, 1), date(2026, 10, 1))

    kpis = build_kpi_daily(fact_order_lines().clear(), payments().clear(), dim_date).collect()

    assert kpis.rows() == [
        (20261001, date(2026, 10, 1), Decimal("0.00"), 0, Decimal("0.00"), 0, 0,
         Decimal("0.0000"), Decimal("0.0000")),
    ]  # fmt: skip
