"""The platform as the benchmark sees it: public functions, looked up by name.

Other engineers reshape transforms and assets while the benchmark has to keep working, so every
platform function is resolved here, once, and checked against the parameters the benchmark
passes. When one moves or its signature changes, the benchmark stops with a message that names
the function and what changed, instead of a TypeError deep inside a worker.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl


class PlatformInterfaceError(RuntimeError):
    """A platform function the benchmark calls is missing or has a different signature."""


def platform_function(module: str, name: str, parameters: Sequence[str]) -> Callable[..., Any]:
    """`module.name`, checked to accept `parameters` positionally in that order."""
    try:
        target = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise PlatformInterfaceError(
            f"the benchmark calls {module}.{name}, which cannot be imported ({error}); "
            "update retail_platform/bench/platform_api.py to the platform's new public function"
        ) from error
    found = [
        p.name
        for p in inspect.signature(target).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if found[: len(parameters)] != list(parameters):
        raise PlatformInterfaceError(
            f"{module}.{name} takes ({', '.join(found)}); the benchmark passes "
            f"({', '.join(parameters)}). Update retail_platform/bench/platform_api.py"
        )
    return target


GOLD = "retail_platform.transforms.gold"
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


def build_gold(silver: dict[str, pl.LazyFrame]) -> dict[str, pl.DataFrame]:
    """The gold tables from silver with the platform's pure transforms, as the gold assets do.

    Same order and inputs as `retail_platform/assets/gold/star.py` on a first build (no
    previous dim_customer): facts and KPIs read the collected dimensions and facts, as the
    assets read them back from the lake.
    """
    dim_customer = platform_function(
        f"{GOLD}.customers", "build_dim_customer", ("customers", "orders", "previous")
    )
    dim_product = platform_function(f"{GOLD}.dimensions", "build_dim_product", ("products",))
    dim_date = platform_function(f"{GOLD}.dimensions", "build_dim_date_spanning", ("dates",))
    fact = platform_function(
        f"{GOLD}.facts",
        "build_fact_order_lines",
        ("order_lines", "orders", "dim_customer", "fx_rates", "products"),
    )
    payments = platform_function(f"{GOLD}.facts", "build_fact_payments", ("payments", "fx_rates"))
    kpis = platform_function(
        f"{GOLD}.kpis",
        "build_kpi_daily",
        ("fact_order_lines", "fact_payments", "dim_customer", "dim_date"),
    )
    orders, fx_rates = silver["orders"], silver["fx_rates"]
    dates = pl.concat(
        [
            orders.select(pl.col("order_date").alias("date")),
            silver["payments"].select(pl.col("payment_date").alias("date")),
            silver["partner_sales"].select(pl.col("invoice_date").alias("date")),
        ]
    )
    gold = {
        "dim_customer": dim_customer(silver["customers"], orders, None)
        .filter(pl.col("customer_key") != -1)
        .collect(),
        # The peers build no unknown members (key -1): compared without them.
        "dim_product": dim_product(silver["products"])
        .filter(pl.col("product_key") != -1)
        .collect(),
        "dim_date": dim_date(dates).collect(),
    }
    if gold["dim_date"].is_empty():
        raise ValueError("silver orders, payments and partner sales are empty: no dim_date")
    gold["fact_order_lines"] = fact(
        silver["order_lines"], orders, gold["dim_customer"].lazy(), fx_rates, silver["products"]
    ).collect()
    gold["fact_payments"] = payments(silver["payments"], fx_rates).collect()
    gold["kpi_daily"] = kpis(
        gold["fact_order_lines"].lazy(),
        gold["fact_payments"].lazy(),
        gold["dim_customer"].lazy(),
        gold["dim_date"].lazy(),
    ).collect()
    return gold


def build_definitions() -> Any:
    """The code location's Definitions for the local environment."""
    environment = importlib.import_module("retail_platform.environment").Environment
    build = platform_function("retail_platform.definitions", "build_definitions", ("environment",))
    return build(environment.LOCAL)


def demo_stages() -> Sequence[Any]:
    """The stages `retail-platform demo` materializes in order (each has title and selection)."""
    stages = getattr(importlib.import_module("retail_platform.local.demo"), "STAGES", None)
    if not stages or not all(hasattr(s, "title") and hasattr(s, "selection") for s in stages):
        raise PlatformInterfaceError(
            "retail_platform.local.demo.STAGES (stages with title and selection) is gone; "
            "update retail_platform/bench/platform_api.py"
        )
    return stages


def lake_resource(root: str) -> Any:
    """The platform's lake resource (the writer every asset uses) rooted at `root`."""
    return importlib.import_module("retail_platform.resources.lake").LakeResource(root=root)


def gold_primary_keys() -> dict[str, tuple[str, ...]]:
    """Primary key of each gold table the benchmark compares, from the gold contracts."""
    contracts = importlib.import_module("retail_platform.contracts.gold")
    keys = {}
    for name in GOLD_OUTPUTS:
        contract = getattr(contracts, name.upper(), None)
        if contract is None:
            raise PlatformInterfaceError(f"retail_platform.contracts.gold has no {name.upper()}")
        keys[name] = tuple(contract.primary_key)
    return keys
