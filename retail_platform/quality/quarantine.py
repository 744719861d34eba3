"""Quarantine that is noticed: the share of quarantined rows per silver table and per source.

A source is what a bronze row came from: its daily partition for the dated REST feeds
(`_partition_date`), its file for S3 drops (`_source_key`), its ingestion batch otherwise
(`_batch_id`, e.g. a MongoDB extraction). Above `warn_share` (default 1%) of a source's rows,
or of the table's, the check warns; above `fail_share` (default 50%) it fails, naming the
source and its three most frequent reasons. A fully quarantined file never yields a green run.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import polars as pl

from retail_platform.quality.outcome import SAMPLE_SIZE, RuleOutcome
from retail_platform.transforms.silver.validation import REASON, REASON_SEPARATOR, source_name

QUARANTINE_CHECK = "quarantine_within_limits"
TOP_REASONS = 3
WHOLE_TABLE = "(all rows)"
SOURCE = "source"
# A reason's quoted value ("amount: not a number: 'abc'") differs per row: count the rule.
QUOTED_VALUE = r":\s*'.*'$"


@dataclass(frozen=True)
class QuarantineLimits:
    warn_share: float = 0.01
    fail_share: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.warn_share <= self.fail_share <= 1:
            raise ValueError(
                f"quarantine limits need 0 <= warn_share <= fail_share <= 1, got "
                f"{self.warn_share} and {self.fail_share}"
            )


def _column(names: set[str], name: str) -> pl.Expr:
    copy = source_name(name)
    return pl.col(copy if copy in names else name)


def source_of_row(names: set[str]) -> pl.Expr:
    """Where a validated bronze row came from: partition, file or batch (see module doc)."""
    batch = pl.lit("batch ") + _column(names, "_batch_id").cast(pl.String)
    if "_source_key" in names or source_name("_source_key") in names:
        from_s3 = _column(names, "_source").cast(pl.String).str.starts_with("s3")
        source = pl.when(from_s3).then(
            pl.lit("file ") + _column(names, "_source_key").cast(pl.String)
        )
        batch = source.otherwise(batch)
    if "_partition_date" in names or source_name("_partition_date") in names:
        day = _column(names, "_partition_date").cast(pl.String)
        return pl.when(day.is_not_null()).then(pl.lit("partition ") + day).otherwise(batch)
    return batch


def quarantine_by_source(validated: pl.LazyFrame) -> pl.DataFrame:
    """Per source, and for the whole table: rows, quarantined, share, top reasons."""
    names = set(validated.collect_schema().names())
    rows = _with_whole_table(validated.select(source_of_row(names).alias(SOURCE), pl.col(REASON)))
    counts = rows.group_by(SOURCE).agg(
        rows=pl.len(), quarantined=pl.col(REASON).is_not_null().sum()
    )
    return _by_source(counts, rows)


def quarantine_by_source_totals(
    bronze_rows: pl.LazyFrame, quarantined: pl.LazyFrame
) -> pl.DataFrame:
    """:func:`quarantine_by_source` of a whole table without validating it again: the rows per
    source from bronze's ingestion columns, the quarantined rows and their reasons from the
    quarantine table (which holds every quarantined row, as delivered). An incremental silver
    run uses it, so a bad file keeps failing the check on every run until it is fixed."""
    return quarantine_by_source_counts(rows_per_source(bronze_rows), quarantined)


def rows_per_source(bronze_rows: pl.LazyFrame) -> pl.LazyFrame:
    """``source`` and ``rows``: how many bronze rows each source (module docstring) holds."""
    names = set(bronze_rows.collect_schema().names())
    sources = bronze_rows.select(source_of_row(names).alias(SOURCE))
    return sources.group_by(SOURCE).agg(rows=pl.len().cast(pl.Int64))


def rows_per_source_after(
    before: pl.LazyFrame, removed: pl.LazyFrame, added: pl.LazyFrame
) -> pl.LazyFrame:
    """:func:`rows_per_source` of a table whose rows ``removed`` left and ``added`` entered
    since it held ``before`` rows per source (sources left without a row dropped)."""
    leaving = rows_per_source(removed).with_columns(-pl.col("rows"))
    changes = [before.select(SOURCE, pl.col("rows").cast(pl.Int64)), leaving]
    return (
        pl.concat([*changes, rows_per_source(added)])
        .group_by(SOURCE)
        .agg(pl.col("rows").sum())
        .filter(pl.col("rows") > 0)
    )


def quarantine_by_source_counts(
    per_source: pl.LazyFrame, quarantined: pl.LazyFrame
) -> pl.DataFrame:
    """:func:`quarantine_by_source` from bronze's rows per source (:func:`rows_per_source`,
    kept from run to run by incremental silver) and the quarantine table."""
    sources = per_source.select(SOURCE, pl.col("rows").cast(pl.UInt32))
    whole = sources.select(pl.lit(WHOLE_TABLE).alias(SOURCE), pl.col("rows").sum())
    names = set(quarantined.collect_schema().names())
    rows = _with_whole_table(quarantined.select(source_of_row(names).alias(SOURCE), REASON))
    counts = (
        pl.concat([whole, sources])
        .join(rows.group_by(SOURCE).agg(quarantined=pl.len()), on=SOURCE, how="left")
        .with_columns(pl.col("quarantined").fill_null(0).cast(pl.UInt32))
    )
    return _by_source(counts, rows)


def _with_whole_table(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Every row counts once for its source and once for the whole table."""
    return pl.concat([rows.with_columns(pl.lit(WHOLE_TABLE).alias(SOURCE)), rows])


def _by_source(counts: pl.LazyFrame, rows: pl.LazyFrame) -> pl.DataFrame:
    """counts (source, rows, quarantined) with the top reasons of ``rows`` and the share."""
    reasons = (
        rows.drop_nulls(REASON)
        .with_columns(pl.col(REASON).str.split(REASON_SEPARATOR))
        .explode(REASON)
        .with_columns(pl.col(REASON).str.replace(QUOTED_VALUE, ""))
    )
    table = counts.join(_top_reasons(reasons, [SOURCE]), on=SOURCE, how="left").collect()
    if table.is_empty():  # nothing in bronze: the whole table has 0 of 0 rows
        table = pl.DataFrame(
            {SOURCE: [WHOLE_TABLE], "rows": [0], "quarantined": [0], "top_reasons": [None]},
            schema_overrides={
                "rows": pl.UInt32,
                "quarantined": pl.UInt32,
                "top_reasons": pl.String,
            },
        )
    return table.sort(pl.col(SOURCE) != WHOLE_TABLE, SOURCE).with_columns(
        share=pl.when(pl.col("rows") > 0)
        .then(pl.col("quarantined") / pl.col("rows"))
        .otherwise(0.0)
        .round(4),
        top_reasons=pl.col("top_reasons").fill_null(""),
    )


def _top_reasons(reasons: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """The TOP_REASONS most frequent reasons per group, as 'reason (n); ...'."""
    return (
        reasons.group_by(*by, REASON)
        .agg(n=pl.len())
        .sort([*by, "n", REASON], descending=[False] * len(by) + [True, False])
        .group_by(*by, maintain_order=True)
        .head(TOP_REASONS)
        .group_by(*by, maintain_order=True)
        .agg(
            top_reasons=pl.concat_str(
                pl.col(REASON), pl.lit(" ("), pl.col("n").cast(pl.String), pl.lit(")")
            ).str.join("; ")
        )
    )


def quarantine_outcome(
    by_source: pl.DataFrame, limits: QuarantineLimits
) -> tuple[RuleOutcome, dg.AssetCheckSeverity]:
    """Passed when no source (nor the table) is above `warn_share`; the severity is ERROR when
    one is above `fail_share`, else WARN. The sample lists the sources above a limit, worst
    first."""
    over_warning = by_source.filter(pl.col("share") > limits.warn_share)
    over_failure = by_source.filter(pl.col("share") > limits.fail_share)
    sample = over_warning.sort("share", "quarantined", descending=True).select(
        SOURCE, "rows", "quarantined", "share", "top_reasons"
    )
    total = by_source.filter(pl.col(SOURCE) == WHOLE_TABLE).row(0, named=True)
    outcome = RuleOutcome(
        QUARANTINE_CHECK,
        over_warning.is_empty(),
        {
            "rows_in": total["rows"],
            "rows_quarantined": total["quarantined"],
            "share_quarantined": total["share"],
            "sources": by_source.height - 1,
            "sources_over_warn_share": over_warning.filter(pl.col(SOURCE) != WHOLE_TABLE).height,
            "sources_over_fail_share": over_failure.filter(pl.col(SOURCE) != WHOLE_TABLE).height,
            "warn_share": limits.warn_share,
            "fail_share": limits.fail_share,
        },
        sample.head(SAMPLE_SIZE),
    )
    severity = (
        dg.AssetCheckSeverity.ERROR if not over_failure.is_empty() else dg.AssetCheckSeverity.WARN
    )
    return outcome, severity


def describe(outcome: RuleOutcome, limits: QuarantineLimits) -> str:
    """One line: which sources are over which limit, and why."""
    if outcome.passed:
        return f"no source has more than {limits.warn_share:.0%} of its rows quarantined"
    worst = [
        f"{row[SOURCE]}: {row['quarantined']} of {row['rows']} rows quarantined "
        f"({row['share']:.1%}), top reasons: {row['top_reasons']}"
        for row in outcome.sample.head(3).rows(named=True)
    ]
    return "; ".join(worst)


def quarantine_check_result(
    asset_key: dg.AssetKey, by_source: pl.DataFrame, limits: QuarantineLimits
) -> dg.AssetCheckResult:
    outcome, severity = quarantine_outcome(by_source, limits)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=QUARANTINE_CHECK,
        passed=outcome.passed,
        severity=severity,
        description=describe(outcome, limits),
        metadata=outcome.metadata(),
    )
