"""Runs never wedge: a run whose worker is SIGKILLed is marked failed and its pool slot freed,
so the next run on that pool proceeds. A real `dagster-daemon` over a temporary DAGSTER_HOME
with the project's dagster.yaml, and a one-asset code location (pool_holder.py)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from retail_platform_tests.dagster_process import (
    PROJECT_ROOT,
    dagster_environment,
    dagster_process,
    log_tail,
)

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
HOLDER = Path(__file__).with_name("pool_holder.py")
# Generous: the daemon's queue, monitoring and slot-freeing intervals, on busy shared cores.
WAIT_SECONDS = 300
POLL_SECONDS = 1.0


def _launch(env: dict[str, str], workspace: Path, seconds: float) -> None:
    config = {"ops": {"hold_the_pool": {"config": {"seconds": seconds}}}}
    command = [
        str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "hold_the_pool_job",
        "--config-json", json.dumps(config),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {WAIT_SECONDS}s\n{log_tail(log)}"
        time.sleep(POLL_SECONDS)


@pytest.mark.timeout(WAIT_SECONDS * 3)
def test_a_killed_run_is_failed_and_the_next_run_on_its_pool_proceeds(tmp_path: Path) -> None:
    home, holders = tmp_path / "home", tmp_path / "holders"
    home.mkdir()
    holders.mkdir()
    env = {**dagster_environment(home, tmp_path / "state"), "HOLDER_DIR": str(holders)}
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_file:\n      relative_path: {HOLDER}\n"
        f"      working_directory: {PROJECT_ROOT}\n"
    )
    log = tmp_path / "daemon.log"
    command = [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)]
    with (
        dagster_process(command, env, log) as daemon,
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        _launch(env, workspace, seconds=3600)  # holds the pool's only slot for an hour
        _wait_for(lambda: len(list(holders.glob("*.pid"))) == 1, "the first run started", log)
        [first_pid] = list(holders.glob("*.pid"))
        first_run = first_pid.stem
        _launch(env, workspace, seconds=0)  # waits for the same pool

        os.kill(int(first_pid.read_text()), signal.SIGKILL)

        def first_failed() -> bool:
            run = instance.get_run_by_id(first_run)
            return run is not None and run.status == dg.DagsterRunStatus.FAILURE

        _wait_for(first_failed, "the killed run marked failed", log)

        def second_succeeded() -> bool:
            runs = [run for run in instance.get_runs() if run.run_id != first_run]
            return len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS

        _wait_for(second_succeeded, "the next run on the pool finished", log)
        assert daemon.poll() is None, log_tail(log)
        [second] = [r for r in instance.get_run_records() if r.dagster_run.run_id != first_run]
        first = instance.get_run_record_by_id(first_run)
        # The second run waited for the slot the killed run held: it started only after the
        # killed run was failed (queued by the daemon meanwhile: no process spinning).
        assert first is not None and first.end_time is not None and second.start_time is not None
        assert second.start_time >= first.end_time
