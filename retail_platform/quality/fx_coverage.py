"""Every fact line in a foreign currency has a rate on or before its date.

gold converts with the latest rate dated on or before the line's date and never guesses one;
a line without such a rate keeps a null rate and null reporting amounts. This check fails,
blocking what reads the fact, with a message naming each currency and the dates that have no
rate (for example 1997 US dollars when the rates begin in 1999).
"""

import dagster as dg
import polars as pl

from retail_platform.automation.policies import check_condition
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.resources.lake import LakeResource

SAMPLE_DATES = 10
FACTS = ("fact_order_lines", "fact_payments", "fact_partner_sales")
CHECK = "fx_rates_cover_facts"


def missing_rates(facts: pl.LazyFrame) -> pl.DataFrame:
    """Per currency: lines without a rate and their first distinct dates (YYYYMMDD keys)."""
    return (
        facts.filter(pl.col("fx_rate").is_null())
        .group_by("currency")
        .agg(
            lines=pl.len(),
            dates=pl.col("date_key").unique().sort().head(SAMPLE_DATES),
            days=pl.col("date_key").n_unique(),
        )
        .sort("currency")
        .collect()
    )


def no_rate_message(missing: pl.DataFrame, reporting: str) -> str:
    """'no USD -> EUR rate on or before 1997-01-01, 1997-01-02 (3 lines)'; '; ' between
    currencies; more dates than SAMPLE_DATES end in '… and N more days'."""
    parts = []
    for currency, lines, dates, days in missing.iter_rows():
        shown = ", ".join(f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in dates)
        more = f" and {days - len(dates)} more days" if days > len(dates) else ""
        parts.append(
            f"no {currency or 'null currency'} -> {reporting} rate on or before {shown}{more} "
            f"({lines} lines)"
        )
    return "; ".join(parts)


def fx_coverage_outcome(facts: pl.LazyFrame, reporting: str | None) -> RuleOutcome:
    """The rule shared by the check and the pre-commit audit: no line without a rate.

    Counts the lines without a rate; the sample lists each currency with its first dates."""
    missing = missing_rates(facts)
    sample = missing.select(
        "currency", "lines", pl.col("dates").cast(pl.List(pl.String)).list.join(",")
    )
    return RuleOutcome(
        CHECK,
        missing.is_empty(),
        {
            "lines_without_rate": int(missing.get_column("lines").sum()),
            "reporting_currency": reporting or "unknown",
            "missing": no_rate_message(missing, reporting or "reporting currency") or "none",
        },
        sample,
    )


def reporting_currency(lake: LakeResource) -> str | None:
    """The reporting currency silver.fx_rates converts into (None before it is built)."""
    return (
        lake.scan("silver", "fx_rates").select(pl.col("reporting_currency").first()).collect()
    ).item()


def _check(fact: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["gold", fact]),
        automation_condition=check_condition(dg.AssetKey(["gold", fact])),
        name=CHECK,
        description="Every line in a foreign currency found a rate on or before its date "
        "(silver.fx_rates); the failure names each currency and the dates without a rate.",
        blocking=True,
        additional_deps=[dg.AssetKey(["silver", "fx_rates"])],
    )
    def _fx_rates_cover_facts(lake: LakeResource) -> dg.AssetCheckResult:
        outcome = fx_coverage_outcome(lake.scan("gold", fact), reporting_currency(lake))
        result = outcome.check_result()
        message = str(outcome.counts["missing"])
        return dg.AssetCheckResult(
            passed=result.passed,
            description=None if outcome.passed else message,
            metadata=result.metadata,
        )

    return _fx_rates_cover_facts


CHECKS = [_check(fact) for fact in FACTS]
