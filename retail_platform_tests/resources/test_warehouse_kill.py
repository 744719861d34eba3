"""A load killed (SIGKILL) between COPY and swap leaves the previous table intact, and a re-run
completes.

The load runs in a real child process (this module, run with ``python -m``), which pauses when
the loader reports its "swap" step, i.e. after the PUT and COPY into the staging table and
before the transaction; the test checks the staged rows, kills the child with SIGKILL, and
inspects the target.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retail_platform.local.stack import StackState
from retail_platform.resources.warehouse import SnowflakeWarehouse
from retail_platform_tests.resources.test_warehouse import (
    TEST_SCHEMA,
    local_warehouse,
    query,
    read_sample,
    sample_frame,
    unique_table,
)

PAUSE_TIMEOUT_S = 180
BEFORE, AFTER = [1, 2, 3], [3, 4, 5, 6, 7]
MODES = {"full": None, "incremental": "order_date"}


@pytest.fixture(scope="module")
def warehouse(local_stack: StackState) -> SnowflakeWarehouse:
    """The session's fakesnow server, in the loader tests' schema."""
    return local_warehouse(local_stack.endpoints.snowflake_port)


def run_load(port: int, table: str, ids: list[int], mode: str, pause_marker: Path | None) -> None:
    """The child's work: load sample_frame(ids); at "swap", signal and wait to be killed."""

    def on_step(step: str) -> None:
        if step == "swap" and pause_marker is not None:
            pause_marker.write_text(str(os.getpid()))
            time.sleep(3600)

    local_warehouse(port).load_table(
        table,
        sample_frame(ids),
        primary_key=["order_id"],
        partition_column=MODES[mode],
        load_id="killed",
        on_step=on_step,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.mark.integration
@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_load_killed_between_copy_and_swap_leaves_the_table_intact(
    warehouse: SnowflakeWarehouse, local_stack: StackState, tmp_path: Path, mode: str
) -> None:
    table = unique_table(f"killed_{mode}")
    load = {"primary_key": ["order_id"], "partition_column": MODES[mode]}
    before = warehouse.load_table(table, sample_frame(BEFORE), load_id="before", **load)
    marker = tmp_path / "paused"
    port = local_stack.endpoints.snowflake_port
    command = [sys.executable, "-m", __name__, str(port), table, mode, str(marker)]
    with (tmp_path / "child.log").open("wb") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + PAUSE_TIMEOUT_S
        while not marker.exists():
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            assert time.monotonic() < deadline, "the child never reached the swap"
            time.sleep(0.2)
        stage = f'RETAIL.LOAD_CONTROL."{TEST_SCHEMA}__{table.upper()}__STAGE"'
        staged = query(warehouse, f"SELECT ORDER_ID, _LOAD_ID FROM {stage} ORDER BY ORDER_ID")
        expected_ids = AFTER if mode == "full" else [4, 5, 6, 7]  # 3 is unchanged by date
        assert staged == [(i, "killed") for i in expected_ids]  # COPY done, swap not yet

        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        _stop(child)

    assert read_sample(warehouse, table) == sample_frame(BEFORE).rows()
    assert warehouse.table_checksum(table) == before.checksum
    assert query(warehouse, f"SELECT DISTINCT _LOAD_ID FROM {table}") == [("before",)]

    rerun = warehouse.load_table(table, sample_frame(AFTER), load_id="rerun", **load)

    assert not rerun.unchanged and rerun.row_count == len(AFTER)
    assert read_sample(warehouse, table) == sample_frame(AFTER).rows()
    leftovers = query(
        warehouse,
        "SELECT TABLE_NAME FROM RETAIL.INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = ?",
        [f"{TEST_SCHEMA}__{table.upper()}__STAGE"],
    )
    assert leftovers == []


if __name__ == "__main__":
    port_arg, table_arg, mode_arg, marker_arg = sys.argv[1:5]
    run_load(int(port_arg), table_arg, AFTER, mode_arg, Path(marker_arg))
