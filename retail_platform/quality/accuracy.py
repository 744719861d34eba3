"""Accuracy checks: amounts add up to a cent, and gold revenue reconciles with silver.

The reconciliations recompute revenue from silver on their own (order lines of orders that
were neither cancelled nor returned, converted line by line with the rate of the order date)
and compare it with what gold reports, per day: a gold build that loses, doubles or
mis-nets a line fails them.

The gold checks first take the outcome of the audit of the table's current version
(quality/audit_reuse.py): the gold IO manager ran the same rule on every row it committed (a
slice: its rows, reconciled against the silver lines of its dates), so after an incremental
run a check costs a read of the audit log, not a pass over the history. They recompute on the
whole table when the version was not audited, or silver moved since the audit.
"""

import dagster as dg
import polars as pl

from retail_platform.automation.policies import check_condition
from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.quality.rules import amount_mismatches, totals_mismatches
from retail_platform.quality.silver_scope import record_passed, scope_of, scoped
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.currency import to_reporting, with_fx_rate
from retail_platform.transforms.gold.facts import ZERO_NET_STATUSES
from retail_platform.transforms.keys import date_key

SILVER = "silver"
GOLD = "gold"
RECONCILED_WITH = ("silver.order_lines", "silver.orders", "silver.fx_rates")
"""The silver tables `silver_lines_of` reads: a reconciliation audit records their versions."""
AMOUNTS, FACT_RECONCILES = "amounts_add_up", "net_amount_reconciles_with_silver"
KPI_RECONCILES = "revenue_reconciles_with_silver"


def line_arithmetic(quantity: str, unit_price: str, discount: str) -> pl.Expr:
    return pl.col(quantity) * pl.col(unit_price) - pl.col(discount)


def silver_revenue_lines(
    order_lines: pl.LazyFrame, orders: pl.LazyFrame, fx_rates: pl.LazyFrame
) -> pl.LazyFrame:
    """Silver's own view of revenue: one row per earning line with date_key, currency,
    ``net_amount`` (order currency) and ``net_amount_reporting``."""
    earning = order_lines.filter(~pl.col("status").is_in(ZERO_NET_STATUSES)).join(
        orders.select("order_id", "currency"), on="order_id", how="left"
    )
    return with_fx_rate(earning, fx_rates, "order_date").select(
        date_key("order_date").alias("date_key"),
        "currency",
        pl.col("line_amount").alias("net_amount"),
        to_reporting(pl.col("line_amount")).alias("net_amount_reporting"),
    )


def line_amounts_outcome(lines: pl.LazyFrame) -> RuleOutcome:
    expected = line_arithmetic("quantity", "unit_price", "discount")
    wrong = amount_mismatches(lines, "line_amount", expected).collect()
    return RuleOutcome(
        "line_amounts_add_up",
        wrong.is_empty(),
        {"wrong_lines": wrong.height},
        wrong.select("order_id", "line_number", "line_amount", "_difference"),
    )


@dg.asset_check(
    asset=dg.AssetKey([SILVER, "order_lines"]),
    automation_condition=check_condition(dg.AssetKey([SILVER, "order_lines"])),
    name="line_amounts_add_up",
    description="Accuracy: line_amount = quantity x unit_price - discount, within a cent.",
    blocking=True,
)
def silver_line_amounts_add_up(
    context: dg.AssetCheckExecutionContext, lake: LakeResource
) -> dg.AssetCheckResult:
    """Over the lines written since the check last passed (a per-row rule: the other lines
    passed then), or all (quality/silver_scope.py); a wrong line counts only if the table
    still holds it."""
    check, key = "line_amounts_add_up", ["order_id", "line_number"]
    scope = scope_of(lake, "order_lines", check, net=False)
    if scope.changes is None:
        outcome = line_amounts_outcome(scope.current(lake))
    else:
        outcome = line_amounts_outcome(scope.written().lazy())
        if not outcome.passed:
            expected = line_arithmetic("quantity", "unit_price", "discount")
            wrong = amount_mismatches(scope.written().lazy(), "line_amount", expected)
            offenders = wrong.drop("_difference").collect()
            outcome = line_amounts_outcome(scope.still_present(lake, offenders, key).lazy())
    if outcome.passed:
        record_passed(lake, check, [scope], context.run.run_id)
    return scoped(outcome, scope).check_result()


def fact_amounts_outcome(facts: pl.LazyFrame) -> RuleOutcome:
    expectations = {
        "gross_amount": line_arithmetic("quantity", "unit_price", "discount"),
        "gross_amount_reporting": pl.col("gross_amount") * pl.col("fx_rate"),
        "net_amount_reporting": pl.col("net_amount") * pl.col("fx_rate"),
    }
    wrong = {
        column: amount_mismatches(facts, column, expected).collect()
        for column, expected in expectations.items()
    }
    samples = [
        frame.select("order_id", "line_number", pl.lit(column).alias("column"), "_difference")
        for column, frame in wrong.items()
        if not frame.is_empty()
    ]
    return RuleOutcome(
        AMOUNTS,
        not samples,
        {f"wrong_{column}": frame.height for column, frame in wrong.items()},
        pl.concat(samples) if samples else pl.DataFrame(),
    )


@dg.asset_check(
    asset=dg.AssetKey([GOLD, "fact_order_lines"]),
    automation_condition=check_condition(dg.AssetKey([GOLD, "fact_order_lines"])),
    name=AMOUNTS,
    description="Accuracy: gross_amount = quantity x unit_price - discount, and every "
    "*_reporting amount = amount x fx_rate, within a cent.",
    blocking=True,
)
def fact_amounts_add_up(lake: LakeResource) -> dg.AssetCheckResult:
    recorded = audited_pass(lake, "fact_order_lines", AMOUNTS)
    if recorded is not None:
        return recorded
    return fact_amounts_outcome(lake.scan(GOLD, "fact_order_lines")).check_result()


def silver_lines_of(lake: LakeResource) -> pl.LazyFrame:
    return silver_revenue_lines(
        lake.scan(SILVER, "order_lines"), lake.scan(SILVER, "orders"), lake.scan(SILVER, "fx_rates")
    )


def fact_reconciles_outcome(facts: pl.LazyFrame, silver_lines: pl.LazyFrame) -> RuleOutcome:
    mismatches = totals_mismatches(
        facts, silver_lines, ["date_key", "currency"], "net_amount"
    ).collect()
    return RuleOutcome(
        FACT_RECONCILES,
        mismatches.is_empty(),
        {"mismatched_days": mismatches.height},
        mismatches,
    )


@dg.asset_check(
    asset=dg.AssetKey([GOLD, "fact_order_lines"]),
    automation_condition=check_condition(dg.AssetKey([GOLD, "fact_order_lines"])),
    name=FACT_RECONCILES,
    description="Accuracy: per order date and currency, the facts' net_amount adds up to the "
    "silver line amounts of orders neither cancelled nor returned.",
    blocking=True,
    additional_deps=[dg.AssetKey([SILVER, "order_lines"]), dg.AssetKey([SILVER, "orders"])],
)
def fact_reconciles_with_silver(lake: LakeResource) -> dg.AssetCheckResult:
    recorded = audited_pass(lake, "fact_order_lines", FACT_RECONCILES, RECONCILED_WITH)
    if recorded is not None:
        return recorded
    facts = lake.scan(GOLD, "fact_order_lines")
    return fact_reconciles_outcome(facts, silver_lines_of(lake)).check_result()


def kpi_revenue_outcome(kpis: pl.LazyFrame, silver_lines: pl.LazyFrame) -> RuleOutcome:
    # Silver's revenue is summed per day once (one pass over the lines, their orders and
    # rates): the mismatches and the totals both come from the daily sums.
    revenue, days = pl.collect_all(
        [
            silver_lines.group_by("date_key").agg(revenue=pl.col("net_amount_reporting").sum()),
            kpis.select("date_key", "revenue"),
        ]
    )
    mismatches = totals_mismatches(days.lazy(), revenue.lazy(), ["date_key"], "revenue").collect()
    totals = {
        "gold_revenue": days.get_column("revenue").sum(),
        "silver_revenue": revenue.get_column("revenue").sum(),
    }
    return RuleOutcome(
        KPI_RECONCILES,
        mismatches.is_empty(),
        {
            "mismatched_days": mismatches.height,
            **{name: float(value or 0) for name, value in totals.items()},
        },
        mismatches,
    )


@dg.asset_check(
    asset=dg.AssetKey([GOLD, "kpi_daily"]),
    automation_condition=check_condition(dg.AssetKey([GOLD, "kpi_daily"])),
    name=KPI_RECONCILES,
    description="Accuracy: for every day, kpi_daily.revenue equals the revenue recomputed from "
    "silver order lines (cancellations and returns excluded), in the reporting currency.",
    blocking=True,
    additional_deps=[
        dg.AssetKey([SILVER, "order_lines"]),
        dg.AssetKey([SILVER, "orders"]),
        dg.AssetKey([SILVER, "fx_rates"]),
    ],
)
def kpi_revenue_reconciles_with_silver(lake: LakeResource) -> dg.AssetCheckResult:
    recorded = audited_pass(lake, "kpi_daily", KPI_RECONCILES, RECONCILED_WITH)
    if recorded is not None:
        return recorded
    kpis = lake.scan(GOLD, "kpi_daily")
    return kpi_revenue_outcome(kpis, silver_lines_of(lake)).check_result()


CHECKS = [
    silver_line_amounts_add_up,
    fact_amounts_add_up,
    fact_reconciles_with_silver,
    kpi_revenue_reconciles_with_silver,
]
