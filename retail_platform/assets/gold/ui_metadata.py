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


def gold_ui_metadata(table: str, frame: pl.DataFrame | pl.LazyFrame) -> dict[str, dg.MetadataValue]:
    """Date range and day count, currencies, totals in the reporting currency, and for
    kpi_daily the window's KPI totals and the latest day's KPIs. A LazyFrame (a published
    fact) is summarised in one streaming aggregation, never collected."""
    lazy = frame.lazy()
    names = lazy.collect_schema().names()
    figures = [pl.len().alias("_rows")]
    if "date_key" in names:
        keys = pl.col("date_key").drop_nulls()
        figures += [keys.min().alias("_first"), keys.max().alias("_last")]
        figures.append(keys.n_unique().alias("_days"))
    if "currency" in names:
        figures.append(pl.col("currency").drop_nulls().unique().sort().implode().alias("_cur"))
    reporting = [column for column in names if column.endswith("_reporting")]
    figures += [pl.col(column).sum().alias(f"total_{column}") for column in reporting]
    summary = lazy.select(figures).collect(engine="streaming").row(0, named=True)
    metadata: dict[str, dg.MetadataValue] = {}
    if summary["_rows"] and summary.get("_first") is not None:
        metadata["first_date"] = dg.MetadataValue.text(_key_to_day(int(summary["_first"])))
        metadata["last_date"] = dg.MetadataValue.text(_key_to_day(int(summary["_last"])))
        metadata["days_covered"] = dg.MetadataValue.int(int(summary["_days"]))
    if "currency" in names:
        currencies = list(summary["_cur"])
        metadata["currencies"] = dg.MetadataValue.int(len(currencies))
        metadata["currency_list"] = dg.MetadataValue.text(", ".join(currencies))
    for column in reporting:
        total = summary[f"total_{column}"]
        metadata[f"total_{column}"] = dg.MetadataValue.float(float(total or 0))
    if table == "kpi_daily" and summary["_rows"]:
        kpis = frame if isinstance(frame, pl.DataFrame) else frame.collect()  # a row a day
        for column in KPI_TOTALS:
            metadata[f"kpi_total_{column}"] = dg.MetadataValue.float(
                float(kpis.get_column(column).sum() or 0)
            )
        latest = kpis.sort("date_key").row(-1, named=True)
        for column in KPI_LATEST:
            metadata[f"kpi_latest_{column}"] = dg.MetadataValue.float(float(latest[column] or 0))
    return metadata
