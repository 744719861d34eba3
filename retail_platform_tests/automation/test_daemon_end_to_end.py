"""The unattended path with the real daemon, in live local mode (what `make dev` starts):
the stand-ins keep producing orders, customer changes and partner files, a partner file with
a new product is dropped into S3, nobody touches anything, and within a bounded time bronze,
silver, gold and the warehouse reflect all of it.

`dagster-daemon` runs against a temporary DAGSTER_HOME (the project's SQLite dagster.yaml) and
a live local stack of its own (moto_server, fakesnow, the REST simulator), and loads the code
location through the project's workspace.yaml exactly as in production. In live mode the
schedules, the S3 sensor and the automation are on by default (nobody turns them on): the
schedules and the sensor start the bronze runs; declarative automation carries silver -> gold
-> warehouse in checked runs whose blocking checks gate each layer. The flow is then stopped
from the CLI (`retail-platform live stop`).

The daemon and the stack are the package's `daemon` fixture (conftest.py), shared with
test_run_monitoring.py: the runs of its test-only location (pool_holder.py) are left out of
what is checked here.
"""

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.automation.sensors import partner_files_sensor
from retail_platform.environment import local_resources
from retail_platform_tests.automation.pool_holder import hold_the_pool_job
from retail_platform_tests.automation.shared_daemon import (
    NEW_NAME,
    NEW_PRODUCT_ID,
    NEW_SKU,
    Daemon,
)
from retail_platform_tests.dagster_process import PROJECT_ROOT, log_tail

pytestmark = pytest.mark.integration

FIRST_LIVE_INVOICE = "9000000"  # the partner file of the first live batch (live.py)
# The first live batch (2 min), schedule and sensor ticks and their bronze runs, automation
# ticks (30 s apart) and the silver-to-warehouse runs, each run a process that loads the
# platform, two at a time: many minutes, more when other work shares the cores.
DEADLINE_SECONDS = 900
POLL_SECONDS = 3.0
BIN = Path(sys.executable).parent


def _stop_the_flow(daemon: Daemon) -> None:
    """What a user does to stop the live flow: one CLI command."""
    completed = subprocess.run(
        [str(BIN / "retail-platform"), "live", "stop", "--state-dir", str(daemon.state_dir)],
        cwd=PROJECT_ROOT,
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Live flow stopped" in completed.stdout


def _warehouse_count(resources: dict, sql: str) -> int:
    from snowflake.connector.errors import ProgrammingError

    with resources["warehouse"].connect() as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
        except ProgrammingError as error:
            if "does not exist" in str(error):  # before the first load
                return 0
            raise
        return int(cursor.fetchone()[0])


def _live_data_in_warehouse(resources: dict) -> dict[str, bool]:
    return {
        "new product": _warehouse_has_product(resources),
        "live orders": _warehouse_count(
            resources, "SELECT COUNT(*) FROM FACT_ORDER_LINES WHERE ORDER_ID LIKE 'L%'"
        )
        > 0,
        "live partner file": _warehouse_count(
            resources,
            f"SELECT COUNT(*) FROM FACT_PARTNER_SALES WHERE INVOICE_NO = '{FIRST_LIVE_INVOICE}'",
        )
        > 0,
    }


def _warehouse_has_product(resources: dict) -> bool:
    from snowflake.connector.errors import ProgrammingError

    with resources["warehouse"].connect() as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(
                "SELECT COUNT(*) FROM DIM_PRODUCT WHERE PRODUCT_ID = ?", (NEW_PRODUCT_ID,)
            )
        except ProgrammingError as error:
            if "does not exist" in str(error):  # before the first load
                return False
            raise
        return cursor.fetchone()[0] == 1


def _platform_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """The platform's runs: not those of test_run_monitoring's location on the same daemon."""
    return [run for run in instance.get_runs() if run.job_name != hold_the_pool_job.name]


def _failed_runs(instance: dg.DagsterInstance) -> list[str]:
    failed = [r for r in _platform_runs(instance) if r.status == dg.DagsterRunStatus.FAILURE]
    return [f"{run.job_name} {run.run_id} tags={dict(run.tags)}" for run in failed]


@pytest.mark.timeout(DEADLINE_SECONDS + 420)  # plus the stack, the daemon, the last run
def test_live_orders_and_dropped_partner_files_reach_the_warehouse_with_nobody_watching(
    daemon: Daemon,
) -> None:
    resources = local_resources(daemon.state_dir)
    # The catalog file with a new product was dropped before the daemon started (the fixture):
    # the time allowed runs from that drop.
    key, started = daemon.new_product_key, daemon.new_product_dropped_at
    with dg.DagsterInstance.from_config(str(daemon.dagster_home)) as instance:
        while not all((arrived := _live_data_in_warehouse(resources)).values()):
            assert daemon.process.poll() is None, f"daemon exited:\n{log_tail(daemon.log)}"
            assert not _failed_runs(instance), f"{_failed_runs(instance)}\n{log_tail(daemon.log)}"
            elapsed = time.monotonic() - started
            assert elapsed < DEADLINE_SECONDS, (
                f"not in the warehouse after {DEADLINE_SECONDS}s: {arrived}; runs: "
                f"{[(r.job_name, r.status.value) for r in _platform_runs(instance)]}\n"
                f"{log_tail(daemon.log)}"
            )
            time.sleep(POLL_SECONDS)
        reached_warehouse_after = time.monotonic() - started
        _stop_the_flow(daemon)
        # The runs launched so far (the one that loaded the warehouse still runs its checks)
        # finish; the schedules keep ticking until the daemon stops, finding nothing new.
        launched = {run.run_id for run in _platform_runs(instance)}
        while any(not r.is_finished for r in _platform_runs(instance) if r.run_id in launched):
            assert time.monotonic() - started < DEADLINE_SECONDS + 120, log_tail(daemon.log)
            time.sleep(POLL_SECONDS)
        runs = [run for run in _platform_runs(instance) if run.run_id in launched]
        assert not _failed_runs(instance), _failed_runs(instance)

    print(f"live data -> warehouse in {reached_warehouse_after:.0f}s, {len(runs)} runs")
    lake = resources["lake"]
    source_key = resources["partner_drops"].uri(key)
    bronze = lake.scan("bronze", "products").filter(pl.col("_source_key") == source_key).collect()
    assert bronze["product_id"].to_list() == [NEW_PRODUCT_ID]
    silver = lake.scan("silver", "products").filter(pl.col("product_id") == NEW_PRODUCT_ID)
    assert silver.select("sku", "name").collect().rows() == [(NEW_SKU, NEW_NAME)]
    gold = lake.scan("gold", "dim_product").filter(pl.col("product_id") == NEW_PRODUCT_ID)
    assert gold.select("sku").collect().rows() == [(NEW_SKU,)]
    live_orders = lake.scan("gold", "fact_order_lines").filter(
        pl.col("order_id").str.starts_with("L")
    )
    assert live_orders.select(pl.len()).collect().item() > 0

    # Nobody launched anything: every run came from a schedule, a sensor or the automation,
    # and says so in its trigger tag; bronze from the schedules and the S3 sensor, silver,
    # gold and warehouse from the automation.
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
    by_trigger: dict[str, list[dg.DagsterRun]] = {}
    for run in runs:
        assert "dagster/sensor_name" in run.tags or "dagster/schedule_name" in run.tags, run.tags
        by_trigger.setdefault(run.tags.get("retail/trigger", "none"), []).append(run)
    assert set(by_trigger) == {"schedule", "sensor", "automation"}
    assert all(
        r.tags["dagster/sensor_name"] == partner_files_sensor.name for r in by_trigger["sensor"]
    )
    assert all(
        r.tags["retail/layer"] == "bronze" for r in by_trigger["schedule"] + by_trigger["sensor"]
    )
    layers_by_automation = {
        key.path[0] for run in by_trigger["automation"] for key in (run.asset_selection or ())
    }
    assert {"silver", "gold", "warehouse"} <= layers_by_automation
    assert "bronze" not in layers_by_automation
