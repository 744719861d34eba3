"""Runs never wedge: a run whose worker is SIGKILLed is marked failed and its pool slot freed,
so the next run on that pool proceeds. A real `dagster-daemon` over a temporary DAGSTER_HOME
with the project's dagster.yaml, and a one-asset code location (pool_holder.py) with a pool of
its own. The daemon is the package's `daemon` fixture (conftest.py), which also serves the
platform's live flow for test_daemon_end_to_end.py: only this location's runs are looked at."""

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

from retail_platform_tests.automation.pool_holder import hold_the_pool_job
from retail_platform_tests.automation.shared_daemon import Daemon
from retail_platform_tests.dagster_process import PROJECT_ROOT, log_tail

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
# Generous: the daemon's queue, monitoring and slot-freeing intervals, on busy shared cores.
WAIT_SECONDS = 300
POLL_SECONDS = 1.0


def _launch(daemon: Daemon, seconds: float) -> None:
    config = {"ops": {"hold_the_pool": {"config": {"seconds": seconds}}}}
    command = [
        str(BIN / "dagster"), "job", "launch", "-w", str(daemon.holder_workspace),
        "-j", hold_the_pool_job.name, "--config-json", json.dumps(config),
        # Dequeued before the platform's live runs waiting on the shared daemon (same slots).
        "--tags", json.dumps({"dagster/priority": "10"}),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=daemon.env, capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {WAIT_SECONDS}s\n{log_tail(log)}"
        time.sleep(POLL_SECONDS)


def _holder_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(job_name=hold_the_pool_job.name)))


@pytest.mark.timeout(WAIT_SECONDS * 3)  # plus the shared stack and daemon when they start here
def test_a_killed_run_is_failed_and_the_next_run_on_its_pool_proceeds(daemon: Daemon) -> None:
    holders, log = daemon.holder_dir, daemon.log
    with dg.DagsterInstance.from_config(str(daemon.dagster_home)) as instance:
        _launch(daemon, seconds=3600)  # holds the pool's only slot for an hour
        _wait_for(lambda: len(list(holders.glob("*.pid"))) == 1, "the first run started", log)
        [first_pid] = list(holders.glob("*.pid"))
        first_run = first_pid.stem
        _launch(daemon, seconds=0)  # waits for the same pool

        os.kill(int(first_pid.read_text()), signal.SIGKILL)

        def first_failed() -> bool:
            run = instance.get_run_by_id(first_run)
            return run is not None and run.status == dg.DagsterRunStatus.FAILURE

        _wait_for(first_failed, "the killed run marked failed", log)

        def second_succeeded() -> bool:
            runs = [run for run in _holder_runs(instance) if run.run_id != first_run]
            return len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS

        _wait_for(second_succeeded, "the next run on the pool finished", log)
        assert daemon.process.poll() is None, log_tail(log)
        [second] = [
            record
            for record in instance.get_run_records(
                filters=dg.RunsFilter(job_name=hold_the_pool_job.name)
            )
            if record.dagster_run.run_id != first_run
        ]
        first = instance.get_run_record_by_id(first_run)
        # The second run waited for the slot the killed run held: it started only after the
        # killed run was failed (queued by the daemon meanwhile: no process spinning).
        assert first is not None and first.end_time is not None and second.start_time is not None
        assert second.start_time >= first.end_time
