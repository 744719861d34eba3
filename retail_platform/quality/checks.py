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

from collections.abc import Iterable

import dagster as dg
import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.contracts.model import TableContract
from retail_platform.quality import accuracy, coverage, fx_coverage, unknown_members
from retail_platform.quality.rules import (
    duplicate_keys,
    markdown_table,
    null_counts,
    null_keys,
    orphans,
)
from retail_platform.resources.lake import LakeResource

SILVER_TABLES: tuple[TableContract, ...] = (
    silver.ORDERS,
    silver.ORDER_LINES,
    silver.PAYMENTS,
    silver.CUSTOMERS,
    silver.PRODUCTS,
    silver.REVIEWS,
    silver.PARTNERS,
    silver.PARTNER_SALES,
    silver.INVENTORY,
    silver.FX_RATES,
)
KEYED_TABLES: tuple[tuple[str, TableContract], ...] = (
    *(("silver", contract) for contract in SILVER_TABLES),
    *(("gold", contract) for contract in gold.GOLD_TABLES),
)
GOLD_BY_NAME = {contract.name: contract for contract in gold.GOLD_TABLES}
SAMPLE_SIZE = 5
PRIMARY_KEY = "primary_key_unique_and_present"
REQUIRED_COLUMNS = "required_columns_present"


def markdown(frame: pl.DataFrame) -> dg.MetadataValue:
    """A few offending rows as a markdown table for the check's metadata ('none' if empty)."""
    return dg.MetadataValue.md(markdown_table(frame, SAMPLE_SIZE))


def _table_checks(layer: str, contract: TableContract) -> dg.AssetChecksDefinition:
    """Uniqueness and completeness of one table, evaluated in one step."""
    asset_key = dg.AssetKey([layer, contract.name])
    key = list(contract.primary_key)
    required = [column.name for column in contract.columns if not column.nullable]

    @dg.multi_asset_check(
        name=f"{layer}_{contract.name}_table_checks",
        specs=[
            dg.AssetCheckSpec(
                PRIMARY_KEY,
                asset=asset_key,
                description=f"Uniqueness: {', '.join(key)} is never null and never repeats.",
                blocking=True,
            ),
            dg.AssetCheckSpec(
                REQUIRED_COLUMNS,
                asset=asset_key,
                description=f"Completeness: no null in a required column ({', '.join(required)}).",
                blocking=True,
            ),
        ],
    )
    def _checks(lake: LakeResource) -> Iterable[dg.AssetCheckResult]:
        frame = lake.scan(layer, contract.name)
        missing = null_keys(frame, key).select(pl.len()).collect().item()
        duplicates = duplicate_keys(frame, key).collect()
        yield dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=PRIMARY_KEY,
            passed=missing == 0 and duplicates.height == 0,
            metadata={
                "null_keys": missing,
                "duplicated_keys": duplicates.height,
                "sample": markdown(duplicates),
            },
        )
        present = set(frame.collect_schema().names())
        absent = [name for name in required if name not in present]
        nulls = null_counts(frame, [name for name in required if name in present])
        yield dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=REQUIRED_COLUMNS,
            passed=not nulls and not absent,
            metadata={
                "columns_checked": len(required),
                "null_cells": sum(nulls.values()),
                "columns_with_nulls": ", ".join(f"{name} ({n})" for name, n in nulls.items())
                or "none",
                "absent_columns": ", ".join(absent) or "none",
            },
        )

    return _checks


def _foreign_key_check(contract: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["gold", contract.name]),
        name="foreign_keys_resolve",
        description="Consistency: every foreign key resolves to a dimension row: "
        + ", ".join(f"{fk} -> {dim}" for fk, dim in contract.foreign_keys.items()),
        blocking=True,
        additional_deps=[dg.AssetKey(["gold", dim]) for dim in contract.foreign_keys.values()],
    )
    def _check(lake: LakeResource) -> dg.AssetCheckResult:
        fact = lake.scan("gold", contract.name)
        counts: dict[str, int] = {}
        for foreign_key, dimension_name in contract.foreign_keys.items():
            dimension = GOLD_BY_NAME[dimension_name]
            counts[f"orphan_{foreign_key}"] = (
                orphans(
                    fact, foreign_key, lake.scan("gold", dimension_name), dimension.primary_key[0]
                )
                .select(pl.len())
                .collect()
                .item()
            )
        return dg.AssetCheckResult(passed=not any(counts.values()), metadata=counts)

    return _check


@dg.asset_check(
    asset=dg.AssetKey(["silver", "order_lines"]),
    name="every_line_has_its_order",
    description="Consistency: every silver order line belongs to a silver order.",
    blocking=True,
    additional_deps=[dg.AssetKey(["silver", "orders"])],
)
def every_line_has_its_order(lake: LakeResource) -> dg.AssetCheckResult:
    lines = lake.scan("silver", "order_lines")
    orphaned = orphans(lines, "order_id", lake.scan("silver", "orders"), "order_id").collect()
    return dg.AssetCheckResult(
        passed=orphaned.is_empty(),
        metadata={
            "orphan_lines": orphaned.height,
            "sample": markdown(orphaned.select("order_id", "line_number")),
        },
    )


def build_asset_checks() -> list[dg.AssetChecksDefinition]:
    checks = [_table_checks(layer, contract) for layer, contract in KEYED_TABLES]
    checks.extend(_foreign_key_check(c) for c in gold.GOLD_TABLES if c.foreign_keys)
    checks.append(every_line_has_its_order)
    checks.extend(accuracy.CHECKS)
    checks.extend(coverage.CHECKS)
    checks.extend([*unknown_members.CHECKS, *fx_coverage.CHECKS])
    return checks
