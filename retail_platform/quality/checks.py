"""Asset checks: keys unique and present on every silver and gold table, facts resolve to dims.

All are blocking: a failure stops downstream assets in the same run from building on bad data.
"""

from collections.abc import Iterable

import dagster as dg
import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.contracts.model import TableContract
from retail_platform.quality.rules import duplicate_keys, null_keys, orphans
from retail_platform.resources.lake import LakeResource

KEYED_TABLES: tuple[tuple[str, TableContract], ...] = (
    ("silver", silver.ORDERS),
    ("silver", silver.ORDER_LINES),
    ("silver", silver.PAYMENTS),
    ("silver", silver.CUSTOMERS),
    ("silver", silver.PRODUCTS),
    *(("gold", contract) for contract in gold.GOLD_TABLES),
)
GOLD_BY_NAME = {contract.name: contract for contract in gold.GOLD_TABLES}
SAMPLE_SIZE = 5


def _primary_key_check(layer: str, contract: TableContract) -> dg.AssetChecksDefinition:
    key = list(contract.primary_key)

    @dg.asset_check(
        asset=dg.AssetKey([layer, contract.name]),
        name="primary_key_unique_and_present",
        description=f"{', '.join(key)} is never null and never repeats.",
        blocking=True,
    )
    def _check(lake: LakeResource) -> dg.AssetCheckResult:
        frame = lake.scan(layer, contract.name)
        missing = null_keys(frame, key).select(pl.len()).collect().item()
        duplicates = duplicate_keys(frame, key).collect()
        return dg.AssetCheckResult(
            passed=missing == 0 and duplicates.height == 0,
            metadata={
                "null_keys": missing,
                "duplicated_keys": duplicates.height,
                "sample": dg.MetadataValue.md(_markdown(duplicates.head(SAMPLE_SIZE))),
            },
        )

    return _check


def _foreign_key_check(contract: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["gold", contract.name]),
        name="foreign_keys_resolve",
        description="Every foreign key resolves to a dimension row: "
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


def _markdown(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "none"
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * frame.width + "\n"
    return header + "\n".join("| " + " | ".join(map(str, row)) + " |" for row in frame.rows())


def build_asset_checks() -> list[dg.AssetChecksDefinition]:
    checks = [_primary_key_check(layer, contract) for layer, contract in KEYED_TABLES]
    with_foreign_keys: Iterable[TableContract] = (c for c in gold.GOLD_TABLES if c.foreign_keys)
    checks.extend(_foreign_key_check(contract) for contract in with_foreign_keys)
    return checks
