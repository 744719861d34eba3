"""`retail-platform demo`: the whole platform end to end on the embedded stack, then a summary.

Materializes the whole data window layer by layer (so progress shows which stage runs and how
many rows it wrote), prints the KPIs, the retention table and the revenue by month read back
from the warehouse, and always stops the stack it started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as datetime_time
from pathlib import Path

import dagster as dg

from retail_platform.automation.jobs import (
    LAYER_TAG,
    TRIGGER_TAG,
    layer_of,
    partition_range_tags,
)
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.environment import STATE_DIR_VARIABLE, Environment
from retail_platform.local import demo_summary as summary
from retail_platform.local.stack import StackConfig, running_stack
from retail_platform.resources.warehouse import SnowflakeWarehouse

Printer = Callable[[str], None]


@dataclass(frozen=True)
class Stage:
    title: str
    selection: dg.AssetSelection
    partitioned: bool = False
    # Serve the customer collection as it stood at the window's midpoint (see run_pipeline).
    customers_at_midpoint: bool = False


CUSTOMER_DB = (
    dg.AssetSelection.assets(["bronze", "customers"], ["bronze", "reviews"])
    | (
        dg.AssetSelection.assets(["silver", "customers"], ["silver", "reviews"])
    ).required_multi_asset_neighbors()
)
STAGES: tuple[Stage, ...] = (
    Stage(
        "bronze: commerce API (daily partitions)",
        dg.AssetSelection.groups("bronze") & dg.AssetSelection.kind("rest"),
        partitioned=True,
    ),
    Stage(
        "bronze: S3 partner drops and MongoDB (customers as at mid-window)",
        dg.AssetSelection.groups("bronze") - dg.AssetSelection.kind("rest"),
        customers_at_midpoint=True,
    ),
    Stage(
        "silver: typed, deduplicated, PII masked",
        dg.AssetSelection.groups("silver", "quarantine"),
    ),
    Stage(
        "gold: dim_customer as at mid-window",
        dg.AssetSelection.assets(["gold", "dim_customer"]),
    ),
    Stage("bronze + silver: the customer database's changes since mid-window", CUSTOMER_DB),
    Stage("gold: star schema and KPIs", dg.AssetSelection.groups("gold")),
    Stage("warehouse: Snowflake RETAIL.GOLD", dg.AssetSelection.groups("warehouse")),
)


def customer_db_midpoint(first_day: date, last_day: date) -> datetime:
    """When the demo's first read of the customer database happens: mid-window, at midnight."""
    return datetime.combine(first_day + (last_day - first_day) / 2, datetime_time(), tzinfo=UTC)


def run_pipeline(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    echo: Printer = print,
) -> dict[str, int]:
    """Materializes every stage in order; returns rows written per asset. Raises on failure.

    The customer collection is read twice, as it stood at the window's midpoint and at its
    end, with dim_customer built in between: as nightly runs over the months would have seen
    it, so the SCD2 dimension holds a second version of everyone whose tier or country changed
    in the second half. Each stage is one run (the dated sources one single-run backfill over
    the whole window), tagged like the runs a user launches.
    """
    rows: dict[str, int] = {}
    job = definitions.resolve_implicit_global_asset_job_def()
    midpoint = customer_db_midpoint(first_day, last_day)
    for number, stage in enumerate(STAGES, start=1):
        echo(f"[{number}/{len(STAGES)}] {stage.title} ...")
        started = time.monotonic()
        keys = stage.selection.resolve(definitions.resolve_asset_graph())
        tags = {TRIGGER_TAG: "demo", LAYER_TAG: layer_of(keys)}
        if stage.partitioned:
            tags.update(partition_range_tags(first_day, last_day))
        run_config: dict = dict(QUIET)
        if stage.customers_at_midpoint:
            as_of = midpoint.isoformat()
            # Run config replaces a resource's whole config: repeat every other field.
            current = definitions.resources["customer_db"].model_dump(exclude_none=True)
            config = {**current, "as_of": as_of}
            run_config["resources"] = {"customer_db": {"config": config}}
        result = job.execute_in_process(
            instance=instance,
            asset_selection=sorted(keys),
            tags=tags,
            run_config=run_config,
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


def run_demo(config: StackConfig, *, echo: Printer = print) -> dict[str, int]:
    """The stack up, the whole data window through every layer, a summary, the stack down."""
    from retail_platform.definitions import build_definitions

    state_dir = config.state_dir.resolve()
    os.environ[STATE_DIR_VARIABLE] = str(state_dir)
    started = time.monotonic()
    echo(f"Starting the local stack (scale {config.scale:g}, seed {config.seed}) ...")
    with running_stack(config) as state:
        last_day = date.fromisoformat(state.end_date)
        first_day = last_day - timedelta(days=state.days - 1)
        echo(
            f"      stack up in {time.monotonic() - started:.1f}s; "
            f"data {first_day} .. {last_day} ({state.days} days)"
        )
        definitions = build_definitions(Environment.LOCAL)
        with _instance() as instance:
            rows = run_pipeline(definitions, instance, first_day, last_day, echo)
        print_summary(definitions.resources["warehouse"], echo)
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


def print_summary(warehouse: SnowflakeWarehouse, echo: Printer = print) -> None:
    """Today's KPIs, the retention table and the revenue by month, read back from Snowflake."""
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        summary.print_kpis(cursor, echo)
        summary.print_monthly_revenue(cursor, echo)
        summary.print_retention(cursor, echo)
    counts = {c.name: warehouse.table_row_count(c.name) for c in GOLD_TABLES}
    echo("  warehouse rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
