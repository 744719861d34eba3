"""`retail-platform demo` as users run it: exits 0, shows progress and KPIs, leaves no process."""

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from retail_platform.local.demo import customer_db_midpoint, print_summary
from retail_platform_tests.conftest import PipelineRun

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


def _midpoint(run: PipelineRun) -> datetime:
    return customer_db_midpoint(run.dataset.start_date, run.dataset.end_date)


def test_the_replay_gives_dim_customer_a_second_version_of_who_changed_later(
    pipeline_run: PipelineRun,
) -> None:
    """Customers read at mid-window, dim_customer built, then read again at the end: exactly
    the customers whose tier or country differs between the two states get version 2."""
    then = {c["_id"]: c for c in pipeline_run.dataset.customers_as_of(_midpoint(pipeline_run))}
    changed = sorted(
        c["_id"]
        for c in pipeline_run.dataset.customers
        if c["_id"] in then  # who signed up later gets one version, built at the end
        and (c["loyalty_tier"], c["address"]["country"])
        != (then[c["_id"]]["loyalty_tier"], then[c["_id"]]["address"]["country"])
    )
    lake = pipeline_run.definitions.resources["lake"]
    versions = (
        lake.scan("gold", "dim_customer")
        .group_by("customer_id")
        .agg(pl.len().alias("versions"))
        .filter(pl.col("versions") > 1)
        .collect()
    )
    assert len(changed) >= 5  # 200 customers: ~14% change tier or country in the second half
    assert sorted(versions.get_column("customer_id").to_list()) == changed


def test_the_warehouse_shows_four_currencies_and_a_cohort_per_month(
    pipeline_run: PipelineRun,
) -> None:
    lines: list[str] = []
    print_summary(pipeline_run.definitions.resources["warehouse"], lines.append)
    text = "\n".join(lines)
    currencies = {line.split()[0] for line in lines if re.match(r"  [A-Z]{3} +[\d,]+ lines ", line)}
    assert currencies == {"EUR", "GBP", "USD", "CHF"}
    # 13 calendar months of orders: 2025-10 .. 2026-10, one cohort each.
    assert "Customer retention (RETAIL.GOLD.FACT_CUSTOMER_RETENTION): 13 cohorts" in text
    months = [line.split()[0] for line in lines if line.startswith("  20") and "-" in line[:10]]
    assert "2025-10" in months and "2026-10" in months
