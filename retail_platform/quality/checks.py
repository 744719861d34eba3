"""Asset checks over silver and gold, by data-quality dimension.

- uniqueness:   every silver and gold table's primary key is present and never repeats;
- completeness: every required (non-nullable) contract column is filled; more in coverage.py;
- consistency:  every fact foreign key resolves to a dimension row; every order line has its
                order;
- accuracy:     amounts add up and gold revenue reconciles with silver (accuracy.py);
- timeliness:   each layer holds its input's newest day (coverage.py), next to the freshness
                SLAs of quality/freshness.py.

Blocking checks stop downstream assets in the same run from building on bad data: a failed
silver check stops gold, a failed gold check stops the warehouse load.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence

import dagster as dg
import polars as pl

from retail_platform.automation.policies import check_condition
from retail_platform.contracts import gold, silver
from retail_platform.contracts.model import TableContract
from retail_platform.quality import accuracy, coverage, fx_coverage, unknown_members
from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.outcome import SAMPLE_SIZE, RuleOutcome
from retail_platform.quality.rules import (
    duplicate_keys,
    markdown_table,
    null_counts,
    null_keys,
    orphans,
)
from retail_platform.quality.silver_scope import Scope, record_passed, scope_of, scoped
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.silver.keys import rows_with_keys

SILVER_TABLES: tuple[TableContract, ...] = silver.SILVER_TABLES
KEYED_TABLES: tuple[tuple[str, TableContract], ...] = (
    *(("silver", contract) for contract in SILVER_TABLES),
    *(("gold", contract) for contract in gold.GOLD_TABLES),
)
GOLD_BY_NAME = {contract.name: contract for contract in gold.GOLD_TABLES}
PRIMARY_KEY = "primary_key_unique_and_present"
REQUIRED_COLUMNS = "required_columns_present"
FOREIGN_KEYS = "foreign_keys_resolve"
TABLE_CHECKS = "table_checks"


def markdown(frame: pl.DataFrame) -> dg.MetadataValue:
    """Up to SAMPLE_SIZE offending rows as a markdown table for a check ('none' if empty)."""
    return dg.MetadataValue.md(markdown_table(frame, SAMPLE_SIZE))


def required_columns(contract: TableContract) -> list[str]:
    return [column.name for column in contract.columns if not column.nullable]


def primary_key_outcome(frame: pl.LazyFrame, key: Sequence[str]) -> RuleOutcome:
    """Uniqueness: the key is never null and never repeats; sample: the offending keys."""
    missing_rows = null_keys(frame, key)
    missing = missing_rows.select(pl.len()).collect().item()
    duplicates = duplicate_keys(frame, key).collect()
    sample = (
        duplicates
        if not duplicates.is_empty()
        else missing_rows.select(key).head(SAMPLE_SIZE).collect()
    )
    return RuleOutcome(
        PRIMARY_KEY,
        missing == 0 and duplicates.height == 0,
        {"null_keys": missing, "duplicated_keys": duplicates.height},
        sample,
    )


def required_columns_outcome(
    frame: pl.LazyFrame, key: Sequence[str], required: Sequence[str]
) -> RuleOutcome:
    """Completeness: no null in a required column; sample: keys of rows with a null there."""
    present = set(frame.collect_schema().names())
    absent = [name for name in required if name not in present]
    nulls = null_counts(frame, [name for name in required if name in present])
    shown = [name for name in key if name in present]
    sample = (
        frame.filter(pl.any_horizontal([pl.col(name).is_null() for name in nulls]))
        .select(*shown, *(name for name in nulls if name not in shown))
        .head(SAMPLE_SIZE)
        .collect()
        if nulls
        else pl.DataFrame()
    )
    return RuleOutcome(
        REQUIRED_COLUMNS,
        not nulls and not absent,
        {
            "columns_checked": len(required),
            "null_cells": sum(nulls.values()),
            "columns_with_nulls": ", ".join(f"{name} ({n})" for name, n in nulls.items()) or "none",
            "absent_columns": ", ".join(absent) or "none",
        },
        sample,
    )


def foreign_keys_outcome(
    fact: pl.LazyFrame, contract: TableContract, dimension: Callable[[str], pl.LazyFrame]
) -> RuleOutcome:
    """Consistency: every foreign key has its dimension row; sample: the orphan keys with the
    fact's primary key. ``dimension(name)`` gives the (published) dimension table."""
    counts: dict[str, int] = {}
    samples: list[pl.DataFrame] = []
    key = list(contract.primary_key)
    for foreign_key, dimension_name in contract.foreign_keys.items():
        primary_key = GOLD_BY_NAME[dimension_name].primary_key[0]
        orphaned = orphans(fact, foreign_key, dimension(dimension_name), primary_key)
        counts[f"orphan_{foreign_key}"] = orphaned.select(pl.len()).collect().item()
        if counts[f"orphan_{foreign_key}"]:
            shown = [*key, *([foreign_key] if foreign_key not in key else [])]
            samples.append(orphaned.select(shown).head(SAMPLE_SIZE).collect())
    sample = pl.concat(samples, how="diagonal") if samples else pl.DataFrame()
    return RuleOutcome(FOREIGN_KEYS, not any(counts.values()), counts, sample)


def _table_checks(layer: str, contract: TableContract) -> dg.AssetChecksDefinition:
    """Uniqueness and completeness of one table, evaluated in one step."""
    asset_key = dg.AssetKey([layer, contract.name])
    key = list(contract.primary_key)
    required = required_columns(contract)

    @dg.multi_asset_check(
        name=f"{layer}_{contract.name}_table_checks",
        specs=[
            dg.AssetCheckSpec(
                PRIMARY_KEY,
                asset=asset_key,
                automation_condition=check_condition(asset_key),
                description=f"Uniqueness: {', '.join(key)} is never null and never repeats.",
                blocking=True,
            ),
            dg.AssetCheckSpec(
                REQUIRED_COLUMNS,
                asset=asset_key,
                automation_condition=check_condition(asset_key),
                description=f"Completeness: no null in a required column ({', '.join(required)}).",
                blocking=True,
            ),
        ],
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, lake: LakeResource
    ) -> Iterable[dg.AssetCheckResult]:
        if layer == "silver":
            yield from _silver_table_checks(context.run.run_id, lake, contract)
            return
        frame = lake.scan(layer, contract.name)
        rules = {
            PRIMARY_KEY: lambda: primary_key_outcome(frame, key),
            REQUIRED_COLUMNS: lambda: required_columns_outcome(frame, key, required),
        }
        for check, rule in rules.items():
            # Gold: the audit of this very version already ran the rule (audit_reuse.py).
            recorded = audited_pass(lake, contract.name, check) if layer == "gold" else None
            if recorded is not None:
                yield dg.AssetCheckResult(
                    asset_key=asset_key,
                    check_name=check,
                    passed=recorded.passed,
                    metadata=recorded.metadata,
                )
            else:
                yield rule().check_result(asset_key)

    return _checks


def _silver_table_checks(
    run_id: str, lake: LakeResource, contract: TableContract
) -> Iterator[dg.AssetCheckResult]:
    """Both rules over what was written since they last passed, or over the whole table
    (quality/silver_scope.py): the key rule over the rows of the keys the table gained, the
    required columns over the rows written that the table still holds; the passed version is
    recorded when both pass."""
    asset_key, key = dg.AssetKey(["silver", contract.name]), list(contract.primary_key)
    required = required_columns(contract)
    scope = scope_of(lake, contract.name, TABLE_CHECKS, net=False)
    if scope.changes is None:
        keys = rows = scope.current(lake)
    else:
        keys, rows = scope.key_rows(lake, key).lazy(), scope.written().lazy()
    outcomes = [primary_key_outcome(keys, key), required_columns_outcome(rows, key, required)]
    if scope.changes is not None and not outcomes[1].passed:
        # Only the offenders the table still holds count (one corrected since does not).
        filled = pl.all_horizontal(pl.col(name).is_not_null() for name in required)
        offenders = scope.written().filter(~filled)
        held = scope.still_present(lake, offenders, key).lazy()
        outcomes[1] = required_columns_outcome(held, key, required)
    if all(outcome.passed for outcome in outcomes):
        record_passed(lake, TABLE_CHECKS, [scope], run_id)
    for outcome in outcomes:
        yield scoped(outcome, scope).check_result(asset_key)


def _foreign_key_check(contract: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["gold", contract.name]),
        automation_condition=check_condition(dg.AssetKey(["gold", contract.name])),
        name=FOREIGN_KEYS,
        description="Consistency: every foreign key resolves to a dimension row: "
        + ", ".join(f"{fk} -> {dim}" for fk, dim in contract.foreign_keys.items()),
        blocking=True,
        additional_deps=[dg.AssetKey(["gold", dim]) for dim in contract.foreign_keys.values()],
    )
    def _check(lake: LakeResource) -> dg.AssetCheckResult:
        dimensions = sorted(set(contract.foreign_keys.values()))
        recorded = audited_pass(lake, contract.name, FOREIGN_KEYS, dimensions)
        if recorded is not None:
            return recorded
        fact = lake.scan("gold", contract.name)
        outcome = foreign_keys_outcome(fact, contract, lambda name: lake.scan("gold", name))
        return outcome.check_result()

    return _check


def lines_have_orders_outcome(lines: pl.LazyFrame, orders: pl.LazyFrame) -> RuleOutcome:
    orphaned = orphans(lines, "order_id", orders, "order_id").select("order_id", "line_number")
    found = orphaned.collect()
    return RuleOutcome(
        "every_line_has_its_order",
        found.is_empty(),
        {"orphan_lines": found.height},
        found.head(SAMPLE_SIZE),
    )


LINE_KEY, ORDER_KEY = ["order_id", "line_number"], ["order_id"]


def scoped_lines_and_orders(
    lake: LakeResource, lines_scope: Scope, orders_scope: Scope
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(lines, orders) holding every line of the current version that can lack its order,
    with the orders it can match, when both tables passed the check at recorded versions.

    Why nothing outside can: take a line with no order now. Either the line is a row the lines
    table gained since it passed (in the lines' net feed), or it was there when the check
    passed, so its order was there too, and the orders table has lost that order's row since
    and gained none (a removed key of the orders' net feed: an updated order lost a row and
    gained one, and is still there). So the lines to check are the gained lines plus the
    current lines of the removed orders; their orders are those the orders table gained
    (present now by definition of the feed) plus a key-filtered read of the others. Only key
    columns are read (the feeds are netted on them: the rule depends on no other column).
    """
    gained = lines_scope.written().select(LINE_KEY)
    removed = orders_scope.removed_keys(ORDER_KEY)
    of_removed = rows_with_keys(lines_scope.current(lake).select(LINE_KEY), removed, ORDER_KEY)
    lines = pl.concat([gained, of_removed.collect()], how="vertical_relaxed")
    present = orders_scope.changed_keys(ORDER_KEY)
    wanted = lines.select(ORDER_KEY).drop_nulls().unique().join(present, on=ORDER_KEY, how="anti")
    looked_up = rows_with_keys(orders_scope.current(lake).select(ORDER_KEY), wanted, ORDER_KEY)
    orders = pl.concat([present, looked_up.collect()], how="vertical_relaxed")
    return lines.lazy(), orders.lazy()


@dg.asset_check(
    asset=dg.AssetKey(["silver", "order_lines"]),
    automation_condition=check_condition(dg.AssetKey(["silver", "order_lines"])),
    name="every_line_has_its_order",
    description="Consistency: every silver order line belongs to a silver order.",
    blocking=True,
    additional_deps=[dg.AssetKey(["silver", "orders"])],
)
def every_line_has_its_order(
    context: dg.AssetCheckExecutionContext, lake: LakeResource
) -> dg.AssetCheckResult:
    """Over the lines gained and the lines of the orders removed since the check last passed
    (``scoped_lines_and_orders``), or over the whole tables."""
    check = "every_line_has_its_order"
    lines_scope = scope_of(lake, "order_lines", check, columns=LINE_KEY)
    orders_scope = scope_of(lake, "orders", check, owner="order_lines", columns=ORDER_KEY)
    if lines_scope.changes is not None and orders_scope.changes is not None:
        lines, orders = scoped_lines_and_orders(lake, lines_scope, orders_scope)
    else:
        lines, orders = lines_scope.current(lake), orders_scope.current(lake)
    outcome = lines_have_orders_outcome(lines, orders)
    if outcome.passed:
        record_passed(lake, check, [lines_scope, orders_scope], context.run.run_id)
    return scoped(scoped(outcome, lines_scope), orders_scope).check_result()


def build_asset_checks() -> list[dg.AssetChecksDefinition]:
    checks = [_table_checks(layer, contract) for layer, contract in KEYED_TABLES]
    checks.extend(_foreign_key_check(c) for c in gold.GOLD_TABLES if c.foreign_keys)
    checks.append(every_line_has_its_order)
    checks.extend(accuracy.CHECKS)
    checks.extend(coverage.CHECKS)
    checks.extend([*unknown_members.CHECKS, *fx_coverage.CHECKS])
    return checks
