"""Unknown members: fact rows that point to a dimension's unknown row (key -1), per source.

A sku or product missing from the catalog, a partner missing from the directory, or a customer
without a dim_customer version does not stop a fact from loading (transforms/gold/facts.py
points it to the unknown member). These checks count
such rows per source, with sample natural keys, so someone can fix the catalog or directory.
They pass while the share of such rows stays at or below ``max_unknown_share`` (run config,
default 5 %) and fail, blocking what reads the fact, only above it.

The share is a whole-table figure (the pre-commit audit checks a slice's own share), so the
check computes it on every run, from two counts over the published fact's key columns (a
streaming scan of two integer columns, no join). Only when some rows point to an unknown
member does it read silver for the per-source breakdown and the sample natural keys (the fact
holds surrogate keys only), in one pass over the narrow natural-key columns.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.automation.policies import check_condition
from retail_platform.quality.outcome import SAMPLE_SIZE, RuleOutcome
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.dimensions import UNKNOWN_ID, UNKNOWN_KEY

DEFAULT_MAX_UNKNOWN_SHARE = 0.05
SAMPLES = 5
CHECK = "unknown_members_within_share"
UNKNOWN_MEMBER_KEYS = {
    "fact_order_lines": ("product_key", "customer_key"),
    "fact_partner_sales": ("product_key", "partner_key"),
}
"""The fact columns that may point to a dimension's unknown member, per fact."""


def _pointing(key_columns: Sequence[str]) -> pl.Expr:
    return pl.any_horizontal([pl.col(column) == UNKNOWN_KEY for column in key_columns])


def unknown_member_counts(fact: pl.LazyFrame, key_columns: Sequence[str]) -> tuple[int, int]:
    """(rows, rows with any of ``key_columns`` on the unknown member) of a fact."""
    counts = fact.select(rows=pl.len(), unknown=_pointing(key_columns).sum())
    rows, unknown = counts.collect(engine="streaming").row(0)
    return int(rows), int(unknown or 0)


def unknown_share_outcome(
    fact: pl.LazyFrame,
    primary_key: Sequence[str],
    key_columns: Sequence[str],
    max_share: float = DEFAULT_MAX_UNKNOWN_SHARE,
) -> RuleOutcome:
    """The pre-commit audit's form of the check, on the candidate fact itself: the share of rows
    with any key on the unknown member stays at or below ``max_share``. Sample: those rows' keys."""
    rows, unknown = unknown_member_counts(fact, key_columns)
    sample = unknown_member_sample(fact, primary_key, key_columns)
    return unknown_share_of(rows, unknown, sample, max_share)


def unknown_member_sample(
    fact: pl.LazyFrame, primary_key: Sequence[str], key_columns: Sequence[str]
) -> pl.DataFrame:
    """Keys of up to SAMPLE_SIZE rows with a key on the unknown member."""
    return (
        fact.filter(_pointing(key_columns))
        .select(*primary_key, *(c for c in key_columns if c not in primary_key))
        .head(SAMPLE_SIZE)
        .collect()
    )


def unknown_share_of(
    rows: int, unknown: int, sample: pl.DataFrame, max_share: float = DEFAULT_MAX_UNKNOWN_SHARE
) -> RuleOutcome:
    """The outcome for `unknown` of `rows` rows on an unknown member (counts summed over the
    parts of a whole build, quality/audit_parts.py, or of one frame)."""
    share = unknown / rows if rows else 0.0
    return RuleOutcome(
        CHECK,
        share <= max_share,
        {
            "rows": rows,
            "rows_with_unknown_member": unknown,
            "unknown_share": round(share, 6),
            "max_unknown_share": max_share,
        },
        sample,
    )


class UnknownMembersConfig(dg.Config):
    max_unknown_share: float = Field(
        default=DEFAULT_MAX_UNKNOWN_SHARE,
        ge=0,
        le=1,
        description="Largest share of the fact's rows that may point to an unknown member "
        "before the check fails (and blocks what reads the fact).",
    )


@dataclass(frozen=True)
class UnknownKeys:
    """One lookup of a fact: rows whose `natural_key` the dimension source lacks."""

    dimension: str
    natural_key: str
    """Column of the fact's silver source holding the natural key."""
    known: str
    """Table and column listing the keys the dimension holds, 'layer/table.column'."""

    def known_keys(self, lake: LakeResource) -> pl.LazyFrame:
        table, column = self.known.split(".")
        layer, name = table.split("/")
        keys = lake.scan(layer, name).select(pl.col(column).alias(self.natural_key))
        return keys.filter(pl.col(self.natural_key) != UNKNOWN_ID)  # a dimension's own


@dataclass(frozen=True)
class Attach:
    """A column the source lacks, taken from another silver table (a line's order's customer)."""

    table: str
    on: str
    column: str


def unknown_summary(
    rows: pl.LazyFrame,
    known: dict[str, UnknownKeys],
    keys: dict[str, pl.LazyFrame],
    source: str | None,
) -> dict[str, pl.DataFrame]:
    """One pass over ``rows``: per dimension, the sources with rows whose natural key the
    dimension lacks (null counts as unknown), with their rows, those rows and up to SAMPLES
    distinct such keys. ``known``/``keys``: per dimension, its lookup and the keys it holds.
    ``source`` None: the whole table is one source.

    Each lookup is one left join on one narrow column (the scans read only the natural keys and
    the source column), and everything is counted in a single streaming aggregation."""
    by = pl.col(source) if source else pl.lit("all")
    marked = rows.with_columns(_source=by.cast(pl.String))
    flags: dict[str, str] = {}
    for index, (dimension, lookup) in enumerate(known.items()):
        flag = flags[dimension] = f"_unknown_{index}"
        held = keys[dimension].select(lookup.natural_key).unique()
        marked = marked.join(
            held.with_columns(pl.lit(False).alias(flag)), on=lookup.natural_key, how="left"
        ).with_columns(pl.col(flag).fill_null(True))
    aggregates = [pl.len().alias("rows")]
    for dimension, flag in flags.items():
        natural_key = known[dimension].natural_key
        aggregates += [
            pl.col(flag).sum().alias(f"{flag}_rows"),
            pl.col(natural_key)
            .filter(pl.col(flag))
            .cast(pl.String)
            .fill_null("<null>")
            .unique()
            .sort()
            .head(SAMPLES)
            .alias(f"{flag}_sample"),
        ]
    summary = marked.group_by("_source").agg(aggregates).sort("_source").collect(engine="streaming")
    return {
        dimension: summary.select(
            "_source",
            "rows",
            pl.col(f"{flag}_rows").alias("unknown_rows"),
            pl.col(f"{flag}_sample").alias("sample"),
        ).filter(pl.col("unknown_rows") > 0)
        for dimension, flag in flags.items()
    }


def _report(
    per_source: dict[str, pl.DataFrame], unknown: int, total_rows: int, max_share: float
) -> dg.AssetCheckResult:
    share = unknown / total_rows if total_rows else 0.0
    lines = [
        "| dimension | source | rows | unknown rows | sample natural keys |",
        "|---|---|---|---|---|",
    ]
    for dimension, frame in per_source.items():
        for source, rows, count, sample in frame.iter_rows():
            lines.append(f"| {dimension} | {source} | {rows} | {count} | {', '.join(sample)} |")
    return dg.AssetCheckResult(
        passed=share <= max_share,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": total_rows,
            "rows_with_unknown_member": unknown,
            "unknown_share": round(share, 6),
            "max_unknown_share": max_share,
            "by_source": dg.MetadataValue.md("\n".join(lines) if unknown else "none"),
        },
    )


def _check(
    fact: str,
    silver_source: str,
    source_column: str | None,
    lookups: tuple[UnknownKeys, ...],
    attach: Attach | None = None,
) -> dg.AssetChecksDefinition:
    tables = {f"silver/{silver_source}", *(lookup.known.split(".")[0] for lookup in lookups)}
    if attach is not None:
        tables.add(f"silver/{attach.table}")

    @dg.asset_check(
        asset=dg.AssetKey(["gold", fact]),
        automation_condition=check_condition(dg.AssetKey(["gold", fact])),
        name=CHECK,
        description="Rows pointing to an unknown member ("
        + ", ".join(f"{u.natural_key} not in {u.known}" for u in lookups)
        + "), counted per source with sample keys; fails only above max_unknown_share.",
        blocking=True,
        additional_deps=[dg.AssetKey(table.split("/")) for table in sorted(tables)],
    )
    def _unknown_members(config: UnknownMembersConfig, lake: LakeResource) -> dg.AssetCheckResult:
        total, unknown = unknown_member_counts(lake.scan("gold", fact), UNKNOWN_MEMBER_KEYS[fact])
        if not unknown:  # nothing to break down: silver is not read
            return _report({}, unknown, total, config.max_unknown_share)
        rows = lake.scan("silver", silver_source)
        if attach is not None:
            other = lake.scan("silver", attach.table).select(attach.on, attach.column)
            rows = rows.join(other.unique(attach.on), on=attach.on, how="left")
        lookup_by = {lookup.dimension: lookup for lookup in lookups}
        held = {lookup.dimension: lookup.known_keys(lake) for lookup in lookups}
        per_source = unknown_summary(rows, lookup_by, held, source_column)
        return _report(per_source, unknown, total, config.max_unknown_share)

    return _unknown_members


CHECKS = [
    _check(
        "fact_partner_sales",
        "partner_sales",
        "partner_id",
        (
            UnknownKeys("dim_product", "stock_code", "silver/products.sku"),
            UnknownKeys("dim_partner", "partner_id", "silver/partners.partner_id"),
        ),
    ),
    _check(
        "fact_order_lines",
        "order_lines",
        None,
        (
            UnknownKeys("dim_product", "product_id", "silver/products.product_id"),
            # dim_customer keeps customers gone from silver: their orders still resolve.
            UnknownKeys("dim_customer", "customer_id", "gold/dim_customer.customer_id"),
        ),
        Attach("orders", "order_id", "customer_id"),
    ),
]
