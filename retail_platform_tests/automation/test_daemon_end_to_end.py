"""The unattended path with the real daemon: a partner file lands in S3, nobody touches
anything, and within a bounded time bronze, silver, gold and the warehouse reflect it.

`dagster-daemon` runs against a temporary DAGSTER_HOME (the project's SQLite dagster.yaml) and
a local stack of its own (moto_server, fakesnow, the REST simulator), and loads the code
location through the project's workspace.yaml exactly as in production. The S3 sensor starts
the bronze run; declarative automation carries silver -> gold -> warehouse in one checked
run whose blocking checks gate each layer.
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

from retail_platform.automation.policies import build_automation_sensor
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
# A sensor tick and the bronze run, an automation tick (30 s apart) and the silver-to-warehouse
# run, each run a process that loads the platform: minutes, more when other work shares the cores.
DEADLINE_SECONDS = 600
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
    with running_stack(StackConfig(state_dir=state_dir, scale=SCALE)) as stack:
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


def _turn_on_sensors(platform: Platform) -> None:
    """What an operator does once: the S3 sensor and the automation (state kept in storage)."""
    for sensor in (partner_files_sensor.name, build_automation_sensor().name):
        completed = subprocess.run(
            [str(BIN / "dagster"), "sensor", "start", sensor, "-w", "workspace.yaml"],
            cwd=PROJECT_ROOT,
            env=platform.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


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
def test_a_dropped_partner_file_reaches_the_warehouse_with_nobody_watching(
    platform: Platform, tmp_path: Path
) -> None:
    resources = local_resources(platform.state_dir)
    key, body = _catalog_file_with_a_new_product(resources)
    _turn_on_sensors(platform)
    started = time.monotonic()
    resources["partner_drops"].put_bytes(key, body)

    daemon_log = tmp_path / "daemon.log"
    command = [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    with (
        dagster_process(command, platform.env, daemon_log) as daemon,
        dg.DagsterInstance.from_config(str(platform.dagster_home)) as instance,
    ):
        while not _warehouse_has_product(resources):
            assert daemon.poll() is None, f"daemon exited:\n{log_tail(daemon_log)}"
            assert not _failed_runs(instance), f"{_failed_runs(instance)}\n{log_tail(daemon_log)}"
            elapsed = time.monotonic() - started
            assert elapsed < DEADLINE_SECONDS, (
                f"the file did not reach the warehouse in {DEADLINE_SECONDS}s; runs: "
                f"{[(r.job_name, r.status.value) for r in instance.get_runs()]}\n"
                f"{log_tail(daemon_log)}"
            )
            time.sleep(POLL_SECONDS)
        reached_warehouse_after = time.monotonic() - started
        # The run that loaded the warehouse still runs its checks: let every run finish.
        while any(not run.is_finished for run in instance.get_runs()):
            assert time.monotonic() - started < DEADLINE_SECONDS + 120, log_tail(daemon_log)
            time.sleep(POLL_SECONDS)
        runs = instance.get_runs()

    print(f"partner file -> warehouse in {reached_warehouse_after:.0f}s, {len(runs)} runs")
    lake = resources["lake"]
    source_key = resources["partner_drops"].uri(key)
    bronze = lake.scan("bronze", "products").filter(pl.col("_source_key") == source_key).collect()
    assert bronze["product_id"].to_list() == [NEW_PRODUCT_ID]
    silver = lake.scan("silver", "products").filter(pl.col("product_id") == NEW_PRODUCT_ID)
    assert silver.select("sku", "name").collect().rows() == [(NEW_SKU, NEW_NAME)]
    gold = lake.scan("gold", "dim_product").filter(pl.col("product_id") == NEW_PRODUCT_ID)
    assert gold.select("sku").collect().rows() == [(NEW_SKU,)]

    # Nobody launched anything: every run came from a sensor, bronze from the S3 sensor and
    # silver, gold and warehouse from the automation.
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
    assert [r.run_id for r in runs if "dagster/sensor_name" not in r.tags] == []
    by_sensor = [r for r in runs if r.tags["dagster/sensor_name"] == partner_files_sensor.name]
    by_automation = [r for r in runs if r.tags.get("retail/trigger") == "automation"]
    assert by_sensor and by_automation
    layers_by_automation = {
        key.path[0] for run in by_automation for key in (run.asset_selection or ())
    }
    assert {"silver", "gold", "warehouse"} <= layers_by_automation
    assert "bronze" not in layers_by_automation
