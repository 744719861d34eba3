from datetime import date
from decimal import Decimal

import polars as pl

from retail_platform.contracts import gold
from retail_platform.transforms.gold.retention import build_fact_customer_retention

D = Decimal
# (order_id, date_key, customer_key, status, net_amount_reporting)
FACTS = [
    ("O1", 20260915, 1, "paid", "10.00"),  # C1: cohort 2026-09
    ("O2", 20261003, 4, "paid", "20.00"),  # C1 again, under its second version (key 4)
    ("O3", 20261101, 1, "returned", "0.00"),  # C1: a returned order is still activity
    ("O4", 20261002, 2, "paid", "5.00"),  # C2: cohort 2026-10
    ("O5", 20261020, 2, "paid", "5.00"),
    ("O6", 20260920, 3, "cancelled", "0.00"),  # C3: a cancellation does not start a cohort
    ("O7", 20261105, 3, "paid", "7.50"),  # C3: cohort 2026-11
    ("O8", 20260928, 5, "paid", "3.00"),  # C4: cohort 2026-09, never again
]
CUSTOMERS = pl.LazyFrame(
    {"customer_key": [1, 2, 3, 4, 5], "customer_id": ["C1", "C2", "C3", "C1", "C4"]},
    schema={"customer_key": pl.Int64, "customer_id": pl.String},
)


def fact_order_lines() -> pl.LazyFrame:
    schema = gold.FACT_ORDER_LINES.polars_schema
    rows = [
        {
            **dict.fromkeys(schema.names()),
            "order_line_key": index,
            "order_id": order_id,
            "line_number": 1,
            "date_key": day_key,
            "customer_key": customer_key,
            "status": status,
            "net_amount_reporting": D(net),
        }
        for index, (order_id, day_key, customer_key, status, net) in enumerate(FACTS)
    ]
    return pl.LazyFrame(rows, schema=schema)


def test_cohorts_by_first_order_month_with_every_later_month_listed() -> None:
    retention = build_fact_customer_retention(fact_order_lines(), CUSTOMERS).collect()

    assert retention.schema == gold.FACT_CUSTOMER_RETENTION.polars_schema
    sep, oct_, nov = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
    assert retention.rows() == [
        # September cohort: C1 and C4. 10.00 + 3.00 in September.
        (sep, sep, 0, 2, 2, D("1.0000"), D("13.00")),
        # Only C1 came back in October (1 of 2) and November (the returned order).
        (sep, oct_, 1, 2, 1, D("0.5000"), D("20.00")),
        (sep, nov, 2, 2, 1, D("0.5000"), D("0.00")),
        # October cohort: C2, two orders in October, none in November.
        (oct_, oct_, 0, 1, 1, D("1.0000"), D("10.00")),
        (oct_, nov, 1, 1, 0, D("0.0000"), D("0.00")),
        # November cohort: C3, whose September order was cancelled.
        (nov, nov, 0, 1, 1, D("1.0000"), D("7.50")),
    ]


def test_no_orders_means_no_cohorts() -> None:
    retention = build_fact_customer_retention(fact_order_lines().clear(), CUSTOMERS).collect()

    assert retention.height == 0
