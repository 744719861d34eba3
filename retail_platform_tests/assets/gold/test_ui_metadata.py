from decimal import Decimal

import dagster as dg
import polars as pl

from retail_platform.assets.gold.ui_metadata import gold_ui_metadata


def test_kpi_daily_publishes_totals_latest_day_and_date_range() -> None:
    frame = pl.DataFrame(
        {
            "date_key": [20261002, 20261001],
            "revenue": [Decimal("4.50"), Decimal("10.50")],
            "orders": [1, 2],
            "average_order_value": [Decimal("4.50"), Decimal("5.25")],
            "new_customers": [0, 1],
            "returning_customers": [1, 1],
            "refund_rate": [0.5, 0.0],
            "payment_failure_rate": [0.25, 0.0],
        }
    )
    metadata = gold_ui_metadata("kpi_daily", frame)

    assert metadata["first_date"] == dg.MetadataValue.text("2026-10-01")
    assert metadata["last_date"] == dg.MetadataValue.text("2026-10-02")
    assert metadata["days_covered"] == dg.MetadataValue.int(2)
    assert metadata["kpi_total_revenue"] == dg.MetadataValue.float(15.0)
    assert metadata["kpi_total_orders"] == dg.MetadataValue.float(3.0)
    assert metadata["kpi_total_returning_customers"] == dg.MetadataValue.float(2.0)
    # The latest day is 2026-10-02, whatever the row order.
    assert metadata["kpi_latest_revenue"] == dg.MetadataValue.float(4.5)
    assert metadata["kpi_latest_payment_failure_rate"] == dg.MetadataValue.float(0.25)


def test_a_fact_publishes_currencies_and_reporting_totals() -> None:
    frame = pl.DataFrame(
        {
            "date_key": [20251001, 20260131, 20260131],
            "currency": ["GBP", "EUR", "GBP"],
            "net_amount_reporting": [Decimal("1.17"), Decimal("2.00"), Decimal("0.01")],
        }
    )
    metadata = gold_ui_metadata("fact_order_lines", frame)

    assert metadata["currencies"] == dg.MetadataValue.int(2)
    assert metadata["currency_list"] == dg.MetadataValue.text("EUR, GBP")
    assert metadata["total_net_amount_reporting"] == dg.MetadataValue.float(3.18)
    assert metadata["days_covered"] == dg.MetadataValue.int(2)
    assert "kpi_total_revenue" not in metadata
