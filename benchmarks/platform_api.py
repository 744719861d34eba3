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


def build_gold(silver: dict[str, pl.LazyFrame], scratch: Path) -> dict[str, pl.DataFrame]:
    """The gold tables from silver, computed by the platform's own gold assets.

    Each asset of `retail_platform/assets/gold/star.py` is invoked directly (Dagster's public
    direct invocation), with the inputs its definition declares: a silver input from `silver`,
    a gold one from the tables built before it, as the assets read them back from the lake. So
    the inputs and every rule between them (which silver dates span dim_date, what dim_customer
    starts from) are the assets' own, not a copy. `scratch` is an empty lake root: dim_customer
    finds no previous version there (a first build).
    """
    from retail_platform.assets.gold import star

    resources = {"lake": lake_resource(str(scratch))}
    frames: dict[str, pl.DataFrame] = {}
    for name in GOLD_OUTPUTS:  # in dependency order
        asset = getattr(star, name)
        inputs: dict[str, Any] = {}
        for parameter, key in asset.keys_by_input_name.items():
            if asset.op.ins[parameter].dagster_type.is_nothing:
                continue  # an ordering dependency (`deps=`), not an argument
            layer, table = key.path
            inputs[parameter] = silver[table] if layer == "silver" else frames[table].lazy()
        # Resources the asset's function takes (the lake); the IO manager is not called here.
        needed = {key: resources[key] for key in asset.required_resource_keys if key in resources}
        frames[name] = asset(**inputs, **needed).value
    return frames


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
