"""Completeness of dates and partitions, and timeliness between layers.

Completeness: the daily bronze partitions that silver orders and payments were built from have
no gap, and dim_date has every day from its first to its last. Timeliness: silver holds the
newest day bronze delivered, and kpi_daily reaches the newest day silver holds. (How long ago
gold and the warehouse were refreshed is watched by the freshness SLAs in freshness.py.)
"""

import dagster as dg
import polars as pl

from retail_platform.automation.policies import check_condition
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.quality.rules import missing_days, missing_partitions
from retail_platform.resources.lake import LakeResource

SHOWN_DAYS = 10


def _days(days: list[str]) -> str:
    shown = ", ".join(days[:SHOWN_DAYS])
    return shown + (f" (+{len(days) - SHOWN_DAYS} more)" if len(days) > SHOWN_DAYS else "")


def _partitions_check(table: str) -> dg.AssetChecksDefinition:
    bronze_key = dg.AssetKey(["bronze", table])

    @dg.asset_check(
        asset=dg.AssetKey(["silver", table]),
        automation_condition=check_condition(dg.AssetKey(["silver", table])),
        name="bronze_partitions_complete",
        description=f"Completeness: the daily partitions of bronze {table} have no gap between "
        "the first and the last one materialized.",
        blocking=True,
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        materialized = sorted(context.instance.get_materialized_partitions(bronze_key))
        gaps = missing_partitions(materialized)
        return dg.AssetCheckResult(
            passed=bool(materialized) and not gaps,
            metadata={
                "partitions_materialized": len(materialized),
                "first": materialized[0] if materialized else "none",
                "last": materialized[-1] if materialized else "none",
                "missing": _days(gaps) or "none",
            },
        )

    return _check


def dates_contiguous_outcome(calendar: pl.LazyFrame) -> RuleOutcome:
    gaps = missing_days(calendar, "date")
    return RuleOutcome(
        "dates_contiguous",
        not gaps,
        {"missing_days": len(gaps), "missing": _days([d.isoformat() for d in gaps]) or "none"},
        pl.DataFrame({"missing_date": gaps}, schema={"missing_date": pl.Date}),
    )


@dg.asset_check(
    asset=dg.AssetKey(["gold", "dim_date"]),
    automation_condition=check_condition(dg.AssetKey(["gold", "dim_date"])),
    name="dates_contiguous",
    description="Completeness: every day from the first to the last date is present.",
    blocking=True,
)
def dim_date_contiguous(lake: LakeResource) -> dg.AssetCheckResult:
    return dates_contiguous_outcome(lake.scan("gold", "dim_date")).check_result()


def _newest(frame: pl.LazyFrame, column: pl.Expr) -> object:
    return frame.select(column.max()).collect().item()


@dg.asset_check(
    asset=dg.AssetKey(["silver", "orders"]),
    automation_condition=check_condition(dg.AssetKey(["silver", "orders"])),
    name="holds_newest_bronze_day",
    description="Timeliness: silver orders hold versions from the newest day bronze delivered.",
    additional_deps=[dg.AssetKey(["bronze", "orders"])],
)
def silver_holds_newest_bronze_day(lake: LakeResource) -> dg.AssetCheckResult:
    bronze_day = _newest(lake.scan("bronze", "orders"), pl.col("_partition_date"))
    silver_day = _newest(lake.scan("silver", "orders"), pl.col("updated_at").dt.date())
    return dg.AssetCheckResult(
        severity=dg.AssetCheckSeverity.WARN,  # late data is worth a look, not a stop
        passed=bronze_day is not None and silver_day is not None and silver_day >= bronze_day,
        metadata={"newest_bronze_day": str(bronze_day), "newest_silver_day": str(silver_day)},
    )


@dg.asset_check(
    asset=dg.AssetKey(["gold", "kpi_daily"]),
    automation_condition=check_condition(dg.AssetKey(["gold", "kpi_daily"])),
    name="reaches_newest_silver_day",
    description="Timeliness: kpi_daily reports the newest order and payment day in silver.",
    additional_deps=[dg.AssetKey(["silver", "orders"]), dg.AssetKey(["silver", "payments"])],
)
def kpi_reaches_newest_silver_day(lake: LakeResource) -> dg.AssetCheckResult:
    silver_days = [
        day
        for day in (
            _newest(lake.scan("silver", "orders"), pl.col("order_date")),
            _newest(lake.scan("silver", "payments"), pl.col("payment_date")),
        )
        if day is not None
    ]
    silver_day = max(silver_days) if silver_days else None
    kpi_day = _newest(lake.scan("gold", "kpi_daily"), pl.col("date"))
    return dg.AssetCheckResult(
        severity=dg.AssetCheckSeverity.WARN,
        passed=silver_day is None or (kpi_day is not None and kpi_day >= silver_day),
        metadata={"newest_silver_day": str(silver_day), "newest_kpi_day": str(kpi_day)},
    )


CHECKS = [
    _partitions_check("orders"),
    _partitions_check("payments"),
    dim_date_contiguous,
    silver_holds_newest_bronze_day,
    kpi_reaches_newest_silver_day,
]
