"""The platform as the benchmark sees it: the few entry points it calls, by plain import.

The platform is imported inside the functions, not at the top: the peer engines' workers import
this module for the table names only, and their measured time and memory must not include
Dagster and the platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
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


def build_gold(silver_root: Path, scratch: Path) -> dict[str, int]:
    """The gold tables from silver, computed by the transforms the gold assets run on a full
    build (`transforms/gold/`), in the assets' order, each table written to a lake rooted at
    `scratch` and read back by the next as the assets read it (dim_customer a first build:
    no previous history). Only the Dagster run around them is left out, as the peers have
    none; the audit (write-audit-publish) is the platform's own cost, measured in the full
    build. The full build through Dagster is timed in the pipeline phases.

    Returns each table's row count, counted from the written Delta table as the peers count
    theirs (`SELECT count(*)`), not by reading every table back whole: the equality check
    reads and compares the outputs separately.
    """
    from retail_platform.assets.gold.fact_refresh import orders_of_lines
    from retail_platform.contracts.gold import GOLD_TABLES
    from retail_platform.transforms.gold.customers import build_dim_customer
    from retail_platform.transforms.gold.dimensions import (
        build_dim_date_spanning,
        build_dim_product,
    )
    from retail_platform.transforms.gold.facts import build_fact_order_lines, build_fact_payments
    from retail_platform.transforms.gold.kpis import build_kpi_daily

    silver_lake, lake = lake_resource(str(silver_root.parent)), lake_resource(str(scratch))

    def silver(name: str) -> pl.LazyFrame:
        return silver_lake.scan("silver", name)

    def gold(name: str) -> pl.LazyFrame:
        return lake.scan("gold", name)

    dates = pl.concat(
        [
            silver("orders").select(pl.col("order_date").alias("date")),
            silver("payments").select(pl.col("payment_date").alias("date")),
            silver("partner_sales").select(pl.col("invoice_date").alias("date")),
        ]
    )
    builds: dict[str, Any] = {
        "dim_customer": lambda: build_dim_customer(silver("customers"), silver("orders"), None),
        "dim_product": lambda: build_dim_product(silver("products")),
        "dim_date": lambda: build_dim_date_spanning(dates),
        "kpi_daily": lambda: build_kpi_daily(
            gold("fact_order_lines"),
            gold("fact_payments"),
            gold("dim_customer"),
            gold("dim_date"),
        ),
    }

    def fact_order_lines(lines: pl.LazyFrame) -> pl.LazyFrame:  # as refresh_fact_order_lines
        rows = lines.collect(engine="streaming")
        orders = orders_of_lines(rows, silver("orders"))
        return build_fact_order_lines(
            rows.lazy(), orders, gold("dim_customer"), silver("fx_rates"), silver("products")
        )

    def fact_payments(payments: pl.LazyFrame) -> pl.LazyFrame:
        return build_fact_payments(payments, silver("fx_rates"))

    # The facts are written as their assets write a full build (fact_refresh._full): built
    # by runs of days, one part at a time, into one commit, each part sorted for the layout.
    facts: dict[str, tuple[str, str, Callable[[pl.LazyFrame], pl.LazyFrame]]] = {
        "fact_order_lines": ("order_lines", "order_date", fact_order_lines),
        "fact_payments": ("payments", "payment_date", fact_payments),
    }
    schemas = {contract.name: contract.polars_schema for contract in GOLD_TABLES}
    for name in GOLD_OUTPUTS:
        if name in facts:
            table, column, build = facts[name]
            parts = _parts(silver(table), column, build)
            lake.replace_table_in_parts("gold", name, parts, schemas[name])
        else:
            lake.replace_table("gold", name, builds[name]().collect(engine="streaming"))
    return {name: gold(name).select(pl.len()).collect().item() for name in GOLD_OUTPUTS}


def _parts(
    source: pl.LazyFrame, column: str, build: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> Iterator[pl.DataFrame]:
    """The fact built from `source` by runs of days of about PART_ROWS source rows (one read
    of the date column), as the fact assets' full build cuts it (the first part also takes
    the rows without a date)."""
    from retail_platform.assets.gold.fact_refresh import day_runs
    from retail_platform.assets.gold.increment import PART_ROWS

    counts = source.group_by(column).len().drop_nulls(column).sort(column)
    for index, days in enumerate(day_runs(counts.collect(engine="streaming"), PART_ROWS)):
        within = pl.col(column).is_between(days[0], days[-1]) if days else pl.lit(False)
        if index == 0:
            within = within | pl.col(column).is_null()
        yield build(source.filter(within)).collect(engine="streaming")


def build_definitions() -> dg.Definitions:
    """The code location's Definitions for the local environment."""
    from retail_platform.definitions import build_definitions as build
    from retail_platform.environment import Environment

    return build(Environment.LOCAL)


def record_data_window(state_dir: Path, seed: int, scale: float, end: date, days: int) -> None:
    """Record the benchmark's data window beside its lake when no local stack runs over it.

    The local Definitions start their daily partitions where the running stack's window starts,
    else where the lake's recorded one does (`local_partitions_start`): without this, they
    would start 13 months before the clock's yesterday, and a history reaching further back
    would land days that have no partition.
    """
    from retail_platform.local.origin import DatasetOrigin, record_lake_origin
    from retail_platform.local.stack import load_state

    if load_state(state_dir) is None:
        origin = DatasetOrigin(seed=seed, scale=float(scale), end_date=end.isoformat(), days=days)
        record_lake_origin(state_dir, origin)


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
