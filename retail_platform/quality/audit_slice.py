"""The audit of a gold slice: a table's blocking rules, scoped to the rows an incremental run
replaces (assets/gold/increment.py).

The published table passed its audit, and a slice replaces exactly its rows whose `column` is
in the slice's values, so the new version holds every rule when:

- primary key: unique and present within the slice, and no slice key is held by a kept row
  (only the slice keys no replaced row holds can be: the table's key columns are scanned
  against those alone, `slice_key_outcome`);
- required columns, fact amounts, fx coverage and the unknown-member share: on the slice rows
  (required columns and amounts on the rows that differ from the published ones, when the
  slice is committed as a merge of those: `audit_gold_slice`);
- foreign keys: the slice against the published dimensions;
- reconciliation with silver (fact_order_lines, kpi_daily): the slice against the silver lines
  of the slice's dates (a slice on another column is reconciled as the whole new version); a
  kpi_daily slice against the order facts of its dates instead when the facts' current
  version passed its own audit against silver as it is now (``kpi_revenue_reference``);
- dim_date contiguity: on the whole new version (kept rows and slice; the table is small).

The checks are those of `audit_gold` (quality/audit.py), under the same names.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import polars as pl

from retail_platform.quality.accuracy import (
    AMOUNTS,
    FACT_RECONCILES,
    RECONCILED_WITH,
    fact_amounts_outcome,
    fact_reconciles_outcome,
    kpi_revenue_outcome,
    silver_lines_of,
    silver_revenue_lines,
)
from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.checks import (
    GOLD_BY_NAME,
    PRIMARY_KEY,
    foreign_keys_outcome,
    primary_key_outcome,
    required_columns,
    required_columns_outcome,
)
from retail_platform.quality.coverage import dates_contiguous_outcome
from retail_platform.quality.fx_coverage import FACTS as CONVERTED_FACTS
from retail_platform.quality.fx_coverage import fx_coverage_outcome, reporting_currency
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.quality.unknown_members import UNKNOWN_MEMBER_KEYS, unknown_share_outcome
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.gold.affected import orders_of

DATE_KEY = "date_key"
RECONCILED = frozenset({"fact_order_lines", "kpi_daily"})


def kept_rows(
    lake: LakeResource, table: str, column: str, values: Collection[object]
) -> pl.LazyFrame:
    """The published rows a slice keeps: those whose `column` is not one of `values`."""
    published = lake.scan("gold", table)
    return published.filter(~pl.col(column).is_in(list(values)) | pl.col(column).is_null())


def replaced_rows(
    lake: LakeResource, table: str, column: str, values: Collection[object]
) -> pl.LazyFrame:
    """The published rows a slice replaces: those whose `column` is one of `values` (the
    filter reaches the scan, which skips the files holding none of them)."""
    return lake.scan("gold", table).filter(pl.col(column).is_in(list(values)))


def slice_key_outcome(
    rows: pl.LazyFrame, published: pl.LazyFrame, replaced: pl.LazyFrame, key: list[str]
) -> RuleOutcome:
    """Primary key unique and present in the slice, and held by no kept row.

    `published` is the whole published table, `replaced` its rows the slice replaces. The
    published table passed its audit, so it holds each key once: a slice key that a replaced
    row holds is held by no kept row. Only the others (the keys new to the slice's values:
    a night's new lines, a row moved in from another value) can collide, and any published
    row holding one of them is a kept row. So the history is read for its key columns only,
    against those few keys, rather than every slice key against every kept row.
    """
    own = primary_key_outcome(rows, key)
    new_keys = (
        rows.select(key)
        .unique()
        .join(replaced.select(key), on=key, how="anti", nulls_equal=True)
        .collect()
    )
    if new_keys.is_empty():
        colliding = new_keys
    else:
        colliding = (
            published.select(key)
            .join(new_keys.lazy(), on=key, how="semi")
            .collect(engine="streaming")
        )
    return RuleOutcome(
        PRIMARY_KEY,
        own.passed and colliding.is_empty(),
        {**own.counts, "keys_held_by_kept_rows": colliding.height},
        own.sample if not own.passed else colliding,
    )


def day_of(date_key: int) -> date:
    return date(date_key // 10_000, date_key // 100 % 100, date_key % 100)


def silver_lines_of_dates(lake: LakeResource, date_keys: Collection[object]) -> pl.LazyFrame:
    """Silver's revenue lines of the given date keys only (the filter reaches the scan); their
    orders are read over those lines' order-id range only (`orders_of`)."""
    days = [day_of(int(key)) for key in date_keys]  # type: ignore[call-overload]
    lines = lake.scan("silver", "order_lines").filter(pl.col("order_date").is_in(days))
    # Collected once: the orders' id range comes from these lines.
    lines = lines.select("order_id", "status", "order_date", "line_amount").collect()
    orders = orders_of(lines, lake.scan("silver", "orders"))
    return silver_revenue_lines(lines.lazy(), orders, lake.scan("silver", "fx_rates"))


def kpi_revenue_reference(lake: LakeResource, date_keys: Collection[object]) -> pl.LazyFrame:
    """What a kpi_daily slice's revenue is reconciled with, per date: the order facts of its
    dates when the facts' current version passed its audit's reconciliation with silver (per
    date and currency) and its amounts rule, against the silver versions of now
    (quality/audit_reuse.py), so kpi = facts and facts = silver on every such date; otherwise
    silver's lines of those dates. The facts are clustered by date_key (a read of those
    dates' files), where silver's lines of a few dates take a pass over silver order_lines
    (clustered by order_id) and a join with their orders: several times the cost."""
    facts = "fact_order_lines"
    reconciled = audited_pass(lake, facts, FACT_RECONCILES, RECONCILED_WITH) is not None
    if reconciled and audited_pass(lake, facts, AMOUNTS) is not None:
        keys = [int(key) for key in date_keys]  # type: ignore[call-overload]
        rows = lake.scan("gold", facts).filter(pl.col(DATE_KEY).is_in(keys))
        return rows.select(DATE_KEY, "net_amount_reporting")
    return silver_lines_of_dates(lake, date_keys)


def audit_gold_slice(
    table: str,
    rows: pl.LazyFrame,
    column: str,
    values: Collection[object],
    lake: LakeResource,
    differing: pl.LazyFrame | None = None,
) -> list[RuleOutcome]:
    """The outcomes of `table`'s blocking rules for replacing its `column` in `values` rows by
    `rows` (module docstring). The table must exist (a first build is a full one).

    `differing`: the slice rows that differ from the published ones, when the slice is
    committed as a merge of them (`SliceMerge.upserts`). The rules that depend on the row
    alone (required columns, fact amounts) then run on those only: the other rows are the
    published ones, which passed them. The rules that read other tables (foreign keys, fx
    coverage: a dimension may have lost a key since) or the whole slice (key, unknown share,
    reconciliation) still run on every row."""
    per_row = rows if differing is None else differing
    contract = GOLD_BY_NAME[table]
    key = list(contract.primary_key)
    kept = kept_rows(lake, table, column, values)
    replaced = replaced_rows(lake, table, column, values)
    outcomes = [
        slice_key_outcome(rows, lake.scan("gold", table), replaced, key),
        required_columns_outcome(per_row, key, required_columns(contract)),
    ]
    if contract.foreign_keys:
        outcomes.append(foreign_keys_outcome(rows, contract, lambda name: lake.scan("gold", name)))
    if table == "dim_date":
        outcomes.append(dates_contiguous_outcome(pl.concat([kept, rows], how="diagonal_relaxed")))
    if table in RECONCILED:
        by_date = column == DATE_KEY
        scope = rows if by_date else pl.concat([kept, rows], how="diagonal_relaxed")
        if table == "fact_order_lines":
            silver = silver_lines_of_dates(lake, values) if by_date else silver_lines_of(lake)
            outcomes.append(fact_amounts_outcome(per_row))
            outcomes.append(fact_reconciles_outcome(scope, silver))
        else:
            lines = kpi_revenue_reference(lake, values) if by_date else silver_lines_of(lake)
            outcomes.append(kpi_revenue_outcome(scope, lines))
    if table in CONVERTED_FACTS:
        outcomes.append(fx_coverage_outcome(rows, reporting_currency(lake)))
    if table in UNKNOWN_MEMBER_KEYS:
        columns = UNKNOWN_MEMBER_KEYS[table]
        outcomes.append(unknown_share_outcome(rows, contract.primary_key, columns))
    return outcomes
