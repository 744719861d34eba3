"""Every fact line in a foreign currency has a rate on or before its date.

gold converts with the latest rate dated on or before the line's date and never guesses one;
a line without such a rate keeps a null rate and null reporting amounts. This check fails,
blocking what reads the fact, with a message naming each currency and the dates that have no
rate (for example 1997 US dollars when the rates begin in 1999).
"""

import dagster as dg
import polars as pl

from retail_platform.resources.lake import LakeResource

SAMPLE_DATES = 10
FACTS = ("fact_order_lines", "fact_payments", "fact_partner_sales")


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


def _check(fact: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["gold", fact]),
        name="fx_rates_cover_facts",
        description="Every line in a foreign currency found a rate on or before its date "
        "(silver.fx_rates); the failure names each currency and the dates without a rate.",
        blocking=True,
        additional_deps=[dg.AssetKey(["silver", "fx_rates"])],
    )
    def _fx_rates_cover_facts(lake: LakeResource) -> dg.AssetCheckResult:
        missing = missing_rates(lake.scan("gold", fact))
        reporting = (
            lake.scan("silver", "fx_rates").select(pl.col("reporting_currency").first()).collect()
        ).item()
        message = no_rate_message(missing, reporting or "reporting currency")
        return dg.AssetCheckResult(
            passed=missing.is_empty(),
            description=message or None,
            metadata={
                "lines_without_rate": int(missing.get_column("lines").sum()),
                "reporting_currency": reporting or "unknown",
                "missing": message or "none",
            },
        )

    return _fx_rates_cover_facts


CHECKS = [_check(fact) for fact in FACTS]
