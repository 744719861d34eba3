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
"""

import gzip
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.automation.sensors import partner_files_sensor
from retail_platform.environment import local_resources
from retail_platform.local.stack import StackConfig, StackState, running_stack
from retail_platform_tests.dagster_process import (
    PROJECT_ROOT,
    dagster_environment,
    dagster_process,
    log_tail,
)

pytestmark = pytest.mark.integration

SCALE = 0.05
# A batch every 2 minutes, the schedules as often: runs queue (two at a time) when faster.
LIVE_INTERVAL_SECONDS = 120
FIRST_LIVE_INVOICE = "9000000"  # the partner file of the first live batch (live.py)
# The first live batch (2 min), schedule and sensor ticks and their bronze runs, automation
# ticks (30 s apart) and the silver-to-warehouse runs, each run a process that loads the
# platform, two at a time: many minutes, more when other work shares the cores.
DEADLINE_SECONDS = 900
POLL_SECONDS = 3.0
NEW_PRODUCT_ID = "P99901"
NEW_SKU = "SKU-99901"
NEW_NAME = "Unattended Kettle Teal"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Platform:
    stack: StackState
    state_dir: Path
    dagster_home: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    state_dir = tmp_path_factory.mktemp("daemon-stack")
    dagster_home = tmp_path_factory.mktemp("daemon-home")
    env = dagster_environment(dagster_home, state_dir)
    # Create the instance's SQLite storage once, before the daemon, its code server and the
    # test open it at the same moment (concurrent first opens stamp the schema twice).
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass
    config = StackConfig(
        state_dir=state_dir, scale=SCALE, live=True, live_interval_seconds=LIVE_INTERVAL_SECONDS
    )
    with running_stack(config) as stack:
        yield Platform(stack, state_dir, dagster_home, env)


def _catalog_file_with_a_new_product(resources: dict) -> tuple[str, bytes]:
    """A copy of the seeded catalog file's layout (and compression) with one new product."""
    drops = resources["partner_drops"]
    seeded = next(obj.key for obj in drops.list_objects("catalog/"))
    raw = drops.read_bytes(seeded)
    compressed = raw[:2] == b"\x1f\x8b"
    text = (gzip.decompress(raw) if compressed else raw).decode()
    template = pl.read_csv(io.StringIO(text), infer_schema=False).head(1)
    row = template.with_columns(
        product_id=pl.lit(NEW_PRODUCT_ID),
        sku=pl.lit(NEW_SKU),
        name=pl.lit(NEW_NAME),
        updated_at=pl.lit("2026-10-31T09:00:00Z"),
    )
    body = row.write_csv().encode()
    key = re.sub(r"\d{4}-\d{2}-\d{2}", "2026-10-31", seeded)
    assert key != seeded, f"expected a dated catalog key, got {seeded}"
    return key, gzip.compress(body) if compressed else body


def _stop_the_flow(platform: Platform) -> None:
    """What a user does to stop the live flow: one CLI command."""
    completed = subprocess.run(
        [str(BIN / "retail-platform"), "live", "stop", "--state-dir", str(platform.state_dir)],
        cwd=PROJECT_ROOT,
        env=platform.env,
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


def _failed_runs(instance: dg.DagsterInstance) -> list[str]:
    failed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    return [f"{run.job_name} {run.run_id} tags={dict(run.tags)}" for run in failed]


@pytest.mark.timeout(DEADLINE_SECONDS + 420)  # plus the stack, the daemon, the last run
def test_live_orders_and_dropped_partner_files_reach_the_warehouse_with_nobody_watching(
    platform: Platform, tmp_path: Path
) -> None:
    resources = local_resources(platform.state_dir)
    key, body = _catalog_file_with_a_new_product(resources)
    started = time.monotonic()
    resources["partner_drops"].put_bytes(key, body)

    daemon_log = tmp_path / "daemon.log"
    command = [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    with (
        dagster_process(command, platform.env, daemon_log) as daemon,
        dg.DagsterInstance.from_config(str(platform.dagster_home)) as instance,
    ):
        while not all((arrived := _live_data_in_warehouse(resources)).values()):
            assert daemon.poll() is None, f"daemon exited:\n{log_tail(daemon_log)}"
            assert not _failed_runs(instance), f"{_failed_runs(instance)}\n{log_tail(daemon_log)}"
            elapsed = time.monotonic() - started
            assert elapsed < DEADLINE_SECONDS, (
                f"not in the warehouse after {DEADLINE_SECONDS}s: {arrived}; runs: "
                f"{[(r.job_name, r.status.value) for r in instance.get_runs()]}\n"
                f"{log_tail(daemon_log)}"
            )
            time.sleep(POLL_SECONDS)
        reached_warehouse_after = time.monotonic() - started
        _stop_the_flow(platform)
        # The runs launched so far (the one that loaded the warehouse still runs its checks)
        # finish; the schedules keep ticking until the daemon stops, finding nothing new.
        launched = {run.run_id for run in instance.get_runs()}
        while any(not r.is_finished for r in instance.get_runs() if r.run_id in launched):
            assert time.monotonic() - started < DEADLINE_SECONDS + 120, log_tail(daemon_log)
            time.sleep(POLL_SECONDS)
        runs = [run for run in instance.get_runs() if run.run_id in launched]
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
