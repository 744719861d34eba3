"""The platform as the benchmark sees it: the few entry points it calls, by plain import.

The platform is imported inside the functions, not at the top: the peer engines' workers import
this module for the table names only, and their measured time and memory must not include
Dagster and the platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import dagster as dg

    from retail_platform.resources.lake import LakeResource

# partner_sales only widens dim_date (its invoice dates); fx_rates converts amounts to EUR.
SILVER_INPUTS = (
    "customers", "products", "orders", "order_lines", "payments", "partner_sales", "fx_rates",
)  # fmt: skip
# The gold tables every engine builds and the equality check compares: the star schema of the
# commerce channel and the daily KPIs (dim_partner, fact_partner_sales and the retention mart
# are left out: they add no engine feature the others do not already exercise).
GOLD_OUTPUTS = (
    "dim_customer", "dim_product", "dim_date", "fact_order_lines", "fact_payments", "kpi_daily",
)  # fmt: skip


def build_gold(silver_root: Path, scratch: Path) -> dict[str, pl.DataFrame]:
    """The gold tables from silver, computed by the platform's own gold assets.

    The assets of `retail_platform/assets/gold/star.py` run in one in-process Dagster run
    (Dagster's public `materialize`) on a lake rooted at `scratch`: its `silver` folder links to
    the benchmark's silver tables (`silver_root`), its gold starts empty. So each gold asset
    reads its inputs as it does in production (through the lake, at the versions it plans)
    and plans a full build (no gold table, no recorded progress; dim_customer a first build),
    and the inputs and every rule between them are the assets' own, not a copy. The outputs
    are written by a plain Delta overwrite: the audit (write-audit-publish) is the platform's
    own cost, measured in the full build, not part of the engines' comparison.
    """
    import dagster as dg

    from retail_platform.assets.gold import star
    from retail_platform.assets.gold.increment import GoldSlice

    (scratch / "silver").symlink_to(silver_root.resolve(), target_is_directory=True)
    lake = lake_resource(str(scratch))

    class WholeTables(dg.IOManager):
        """Writes each asset's whole table (a full GoldSlice or a frame) to the lake."""

        def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
            frame = obj.rows if isinstance(obj, GoldSlice) else obj
            frame = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
            lake.replace_table(*context.asset_key.path, frame)

        def load_input(self, context: dg.InputContext) -> pl.LazyFrame:
            return lake.scan(*context.asset_key.path)

    assets = [getattr(star, name) for name in GOLD_OUTPUTS]
    silver = [dg.AssetSpec(["silver", name]) for name in SILVER_INPUTS]
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*assets, *silver],
            resources={
                "lake": lake,
                "io_manager": dg.IOManagerDefinition.hardcoded_io_manager(WholeTables()),
            },
            instance=instance,
            selection=dg.AssetSelection.assets(*assets),
        )
    if not result.success:
        raise RuntimeError("the platform's gold assets failed on the benchmark's silver")
    return {name: lake.scan("gold", name).collect() for name in GOLD_OUTPUTS}


def build_definitions() -> dg.Definitions:
    """The code location's Definitions for the local environment."""
    from retail_platform.definitions import build_definitions as build
    from retail_platform.environment import Environment

    return build(Environment.LOCAL)


def demo_stages() -> Sequence[Any]:
    """The stages `retail-platform demo` materializes in order (each has title and selection)."""
    from retail_platform.local.demo import STAGES

    return STAGES


def lake_resource(root: str) -> LakeResource:
    """The platform's lake resource (the writer every asset uses) rooted at `root`."""
    from retail_platform.resources.lake import LakeResource

    return LakeResource(root=root)


def gold_primary_keys() -> dict[str, tuple[str, ...]]:
    """Primary key of each gold table the benchmark compares, from the gold contracts."""
    from retail_platform.contracts.gold import GOLD_TABLES

    contracts = {contract.name: contract for contract in GOLD_TABLES}
    return {name: tuple(contracts[name].primary_key) for name in GOLD_OUTPUTS}
