"""`retail-platform demo` as users run it: exits 0, shows progress and KPIs, leaves no process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line mentions `text` (read-only: nothing is signalled)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = next(
                line
                for line in (entry / "status").read_text().splitlines()
                if line.startswith("State:")
            )
        except (OSError, StopIteration):
            continue
        if text in cmdline and "Z" not in state.split()[1]:  # zombies have already exited
            found.append(int(entry.name))
    return found


def test_demo_runs_end_to_end_and_stops_every_process(tmp_path: Path) -> None:
    state_dir = tmp_path / "demo-state"
    cli = Path(sys.executable).with_name("retail-platform")
    completed = subprocess.run(
        [
            *(str(cli), "demo", "--scale", "0.05", "--end-date", "2026-10-03", "--days", "3"),
            *("--state-dir", str(state_dir)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")},
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    output = completed.stdout
    for stage in ("[1/7] bronze", "[3/7] silver", "[6/7] gold", "[7/7] warehouse"):
        assert stage in output
    assert "warehouse/fact_order_lines" in output
    assert "KPIs from Snowflake RETAIL.GOLD.KPI_DAILY, 2026-10-01 .. 2026-10-03" in output
    assert "Revenue by month (EUR, RETAIL.GOLD.KPI_DAILY)" in output
    assert "  2026-10  " in output
    assert "Customer retention (RETAIL.GOLD.FACT_CUSTOMER_RETENTION): 1 cohorts" in output
    assert f"Lake (Delta):        {state_dir / 'lake'}" in output
    assert not (state_dir / "stack.json").exists()
    assert _processes_mentioning(str(state_dir)) == []
