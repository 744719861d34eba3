"""Numeric materialization metadata of the gold facts and KPIs, so that the Dagster UI plots
them over time (each numeric entry becomes a chart on the asset's Plots tab)."""

from __future__ import annotations

from datetime import date

import dagster as dg
import polars as pl

KPI_TOTALS = ("revenue", "orders", "new_customers", "returning_customers")
KPI_LATEST = (
    "revenue",
    "orders",
    "average_order_value",
    "refund_rate",
    "payment_failure_rate",
)


def _key_to_day(date_key: int) -> str:
    return date(date_key // 10000, date_key // 100 % 100, date_key % 100).isoformat()


def gold_ui_metadata(table: str, frame: pl.DataFrame) -> dict[str, dg.MetadataValue]:
    """Date range and day count, currencies, totals in the reporting currency, and for
    kpi_daily the window's KPI totals and the latest day's KPIs."""
    metadata: dict[str, dg.MetadataValue] = {}
    if frame.height and "date_key" in frame.columns:
        keys = frame.get_column("date_key").drop_nulls()
        if keys.len():
            metadata["first_date"] = dg.MetadataValue.text(_key_to_day(int(keys.min())))
            metadata["last_date"] = dg.MetadataValue.text(_key_to_day(int(keys.max())))
            metadata["days_covered"] = dg.MetadataValue.int(keys.n_unique())
    if "currency" in frame.columns:
        currencies = sorted(frame.get_column("currency").drop_nulls().unique().to_list())
        metadata["currencies"] = dg.MetadataValue.int(len(currencies))
        metadata["currency_list"] = dg.MetadataValue.text(", ".join(currencies))
    for column in frame.columns:
        if column.endswith("_reporting"):
            total = frame.get_column(column).sum()
            metadata[f"total_{column}"] = dg.MetadataValue.float(float(total or 0))
    if table == "kpi_daily" and frame.height:
        for column in KPI_TOTALS:
            metadata[f"kpi_total_{column}"] = dg.MetadataValue.float(
                float(frame.get_column(column).sum() or 0)
            )
        latest = frame.sort("date_key").row(-1, named=True)
        for column in KPI_LATEST:
            metadata[f"kpi_latest_{column}"] = dg.MetadataValue.float(float(latest[column] or 0))
    return metadata
