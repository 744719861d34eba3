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
    direct invocation), so the inputs, their order and every rule between them (which silver
    dates span dim_date, what dim_customer starts from) are the assets' own, not a copy. Facts
    and KPIs read the collected dimensions and facts, as the assets read them back from the lake.
    `scratch` is an empty lake root: dim_customer finds no previous version there (a first
    build).
    """
    from retail_platform.assets.gold import star

    lake = lake_resource(str(scratch))
    orders, payments, fx_rates = silver["orders"], silver["payments"], silver["fx_rates"]
    gold = {
        "dim_customer": star.dim_customer(customers=silver["customers"], orders=orders, lake=lake),
        "dim_product": star.dim_product(products=silver["products"]),
        "dim_date": star.dim_date(
            orders=orders, payments=payments, partner_sales=silver["partner_sales"]
        ),
    }
    frames: dict[str, pl.DataFrame] = {name: output.value for name, output in gold.items()}
    frames["fact_order_lines"] = star.fact_order_lines(
        order_lines=silver["order_lines"],
        orders=orders,
        customers=frames["dim_customer"].lazy(),
        fx_rates=fx_rates,
    ).value
    frames["fact_payments"] = star.fact_payments(payments=payments, fx_rates=fx_rates).value
    frames["kpi_daily"] = star.kpi_daily(
        facts=frames["fact_order_lines"].lazy(),
        payments=frames["fact_payments"].lazy(),
        customers=frames["dim_customer"].lazy(),
        calendar=frames["dim_date"].lazy(),
    ).value
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
