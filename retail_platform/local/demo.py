"""`retail-platform demo`: the whole platform end to end on the embedded stack, then a summary.

Materializes layer by layer (so progress shows which stage runs and how many rows it wrote),
prints the KPIs read back from the warehouse, and always stops the stack it started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.environment import STATE_DIR_VARIABLE, Environment
from retail_platform.local.stack import StackConfig, running_stack
from retail_platform.resources.warehouse import SnowflakeWarehouse

Printer = Callable[[str], None]


@dataclass(frozen=True)
class Stage:
    title: str
    selection: dg.AssetSelection
    partitioned: bool = False


STAGES: tuple[Stage, ...] = (
    Stage(
        "bronze: commerce API (daily partitions)",
        dg.AssetSelection.groups("bronze") & dg.AssetSelection.kind("rest"),
        partitioned=True,
    ),
    Stage(
        "bronze: S3 partner drops and MongoDB",
        dg.AssetSelection.groups("bronze") - dg.AssetSelection.kind("rest"),
    ),
    Stage("silver: typed, deduplicated, PII masked", dg.AssetSelection.groups("silver")),
    Stage("gold: star schema and KPIs", dg.AssetSelection.groups("gold")),
    Stage("warehouse: Snowflake RETAIL.GOLD", dg.AssetSelection.groups("warehouse")),
)


def run_pipeline(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    echo: Printer = print,
) -> dict[str, int]:
    """Materializes every stage in order; returns rows written per asset. Raises on failure."""
    rows: dict[str, int] = {}
    job = definitions.resolve_implicit_global_asset_job_def()
    for number, stage in enumerate(STAGES, start=1):
        echo(f"[{number}/{len(STAGES)}] {stage.title} ...")
        started = time.monotonic()
        keys = stage.selection.resolve(definitions.resolve_asset_graph())
        tags = (
            {
                "dagster/asset_partition_range_start": first_day.isoformat(),
                "dagster/asset_partition_range_end": last_day.isoformat(),
            }
            if stage.partitioned
            else {}
        )
        result = job.execute_in_process(
            instance=instance,
            asset_selection=sorted(keys),
            tags=tags,
            run_config=QUIET,
            raise_on_error=True,
        )
        for event in result.get_asset_materialization_events():
            materialization = event.materialization
            count = materialization.metadata.get("dagster/row_count")
            label = materialization.asset_key.to_user_string()
            rows[label] = int(count.value) if count is not None else 0
            echo(f"      {label:<32} {rows[label]:>10,} rows")
        failed_checks = [
            evaluation.check_name
            for evaluation in result.get_asset_check_evaluations()
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        ]
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN:
                label = evaluation.asset_check_key.to_user_string()
                echo(f"      warning {label}: {evaluation.description or ''}")
        if failed_checks:
            raise RuntimeError(f"{stage.title}: blocking checks failed: {failed_checks}")
        echo(f"      done in {time.monotonic() - started:.1f}s")
    return rows


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(
    config: StackConfig,
    *,
    days: int = 30,
    first_day: date = date(2026, 10, 1),
    echo: Printer = print,
) -> dict[str, int]:
    from retail_platform.definitions import build_definitions

    state_dir = config.state_dir.resolve()
    os.environ[STATE_DIR_VARIABLE] = str(state_dir)
    last_day = first_day + timedelta(days=days - 1)
    started = time.monotonic()
    echo(f"Starting the local stack (scale {config.scale}, seed {config.seed}) ...")
    with running_stack(config):
        echo(f"      stack up in {time.monotonic() - started:.1f}s")
        definitions = build_definitions(Environment.LOCAL)
        with _instance() as instance:
            rows = run_pipeline(definitions, instance, first_day, last_day, echo)
        _print_summary(definitions.resources["warehouse"], echo)
    echo(f"Local stack stopped. Total {time.monotonic() - started:.1f}s.")
    echo(f"Lake (Delta):        {state_dir / 'lake'}")
    echo(f"Warehouse (fakesnow): {state_dir / 'warehouse'}")
    return rows


def _instance() -> dg.DagsterInstance:
    """The project's persistent instance when DAGSTER_HOME is set, so the UI shows the runs."""
    if os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _print_summary(warehouse: SnowflakeWarehouse, echo: Printer) -> None:
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT SUM(revenue), SUM(orders), SUM(new_customers), MIN(date), MAX(date) "
            "FROM KPI_DAILY"
        )
        revenue, orders, new_customers, first, last = cursor.fetchone()
        cursor.execute(
            "SELECT date, revenue, orders, average_order_value, payment_failure_rate "
            "FROM KPI_DAILY ORDER BY date DESC LIMIT 7"
        )
        recent = cursor.fetchall()
    echo("")
    echo(f"KPIs from Snowflake RETAIL.GOLD.KPI_DAILY, {first} .. {last}")
    echo(
        f"  revenue {revenue:,.2f} EUR   orders {int(orders):,}   "
        f"new customers {int(new_customers):,}   "
        f"average order value {revenue / max(int(orders), 1):,.2f} EUR"
    )
    echo("  last 7 days   revenue EUR   orders      AOV   payment failures")
    for day, day_revenue, day_orders, aov, failure_rate in recent:
        echo(
            f"  {day}  {day_revenue:>12,.2f}  {int(day_orders):>7,}  {aov:>7,.2f}"
            f"   {float(failure_rate):>6.1%}"
        )
    counts = {c.name: warehouse.table_row_count(c.name) for c in GOLD_TABLES}
    echo("  warehouse rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
