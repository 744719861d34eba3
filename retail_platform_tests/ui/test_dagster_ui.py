"""The Dagster UI in a real browser: Debian's chromium, driven by Playwright, against
`dagster dev` on the local stack after the demo pipeline filled it (a 30-day window ending
yesterday, so the daily partitions are exactly the data window). Opens the lineage, finds the
four layers and the quarantine group, finds no missing partition and the KPI metadata on
kpi_daily, materializes an asset from the UI and watches the run succeed. Screenshots go to
test-artifacts/ui/."""

import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from retail_platform.local.stack import StackConfig, running_stack
from retail_platform_tests.dagster_process import (
    PROJECT_ROOT,
    dagster_environment,
    dagster_process,
    log_tail,
)

# Starting the stack and `dagster dev` takes most of it; the run itself is seconds.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
LAYERS = ("bronze", "silver", "quarantine", "gold", "warehouse")
WINDOW_DAYS = 30
STARTUP_SECONDS = 300  # dagster dev loads the code location; slow when the cores are busy
RUN_SECONDS = 240
UI_TIMEOUT_MS = 120_000


def _chromium() -> str:
    found = next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), None)
    found = found or shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser test: .ci/run installs Debian's chromium package")
    pytest.skip("no chromium on this machine (apt-get install chromium); CI installs it")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium_present = _chromium()  # skip before starting anything
    assert chromium_present
    state_dir = tmp_path_factory.mktemp("ui-stack")
    env = dagster_environment(tmp_path_factory.mktemp("ui-home"), state_dir)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_file = tmp_path_factory.mktemp("ui-logs") / "dagster-dev.log"
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    config = StackConfig(state_dir=state_dir, scale=0.05, end_date=yesterday, days=WINDOW_DAYS)
    with running_stack(config):
        _run_the_demo_pipeline(state_dir, Path(env["DAGSTER_HOME"]), yesterday)
        with dagster_process(command, env, log_file) as process:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _answers(f"{url}/server_info"):
                assert process.poll() is None, f"dagster dev exited:\n{log_tail(log_file)}"
                assert time.monotonic() < deadline, f"UI not up:\n{log_tail(log_file)}"
                time.sleep(1)
            yield url


def _run_the_demo_pipeline(state_dir: Path, dagster_home: Path, last_day: date) -> None:
    """What `make demo` runs, into the instance `dagster dev` then shows."""
    import dagster as dg

    from retail_platform.definitions import build_definitions
    from retail_platform.environment import STATE_DIR_VARIABLE, Environment
    from retail_platform.local.demo import run_pipeline

    previous = os.environ.get(STATE_DIR_VARIABLE)
    os.environ[STATE_DIR_VARIABLE] = str(state_dir)
    try:
        definitions = build_definitions(Environment.LOCAL)
        first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            run_pipeline(definitions, instance, first_day, last_day, echo=lambda _: None)
    finally:
        if previous is None:
            os.environ.pop(STATE_DIR_VARIABLE, None)
        else:
            os.environ[STATE_DIR_VARIABLE] = previous


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def page(dagster_ui: str, tmp_path: Path) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile for every test
            executable_path=_chromium(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()  # also ends the browser process


def _dismiss_welcome_dialog(page) -> None:
    """A fresh profile gets Dagster's one-time 'Join the community' dialog."""
    skip = page.get_by_role("button", name="Skip", exact=True)
    try:
        skip.wait_for(state="visible", timeout=15_000)
    except Exception:  # no dialog this time
        return
    skip.click()


def test_lineage_shows_the_layers_and_a_materialization_from_the_ui_succeeds(
    page, dagster_ui: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{dagster_ui}/asset-groups")
    _dismiss_welcome_dialog(page)
    for layer in LAYERS:  # each layer (and the quarantine) is a group box in the lineage graph
        page.locator(f'[data-tooltip="{layer}"]').first.wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / "lineage.png"))

    page.goto(f"{dagster_ui}/assets/bronze/products")
    page.get_by_text("Latest materialization").wait_for()  # the demo pipeline's
    # The button's accessible name includes its icon's label ("materialization Materialize").
    page.locator("button").filter(has_text=re.compile(r"^Materialize$")).first.click()
    page.get_by_text("Launched run").first.wait_for()
    # The toast links to the run it launched (sensors launch runs of their own).
    run_path = page.locator('a[href^="/runs/"]').first.get_attribute("href")
    assert run_path and len(run_path) == len("/runs/") + 36, run_path  # /runs/<uuid>

    page.goto(f"{dagster_ui}{run_path}")
    page.get_by_text("Success", exact=True).first.wait_for(timeout=RUN_SECONDS * 1000)
    page.screenshot(path=str(ARTIFACTS / "run-succeeded.png"))


def test_after_the_demo_no_partition_is_missing_and_kpi_daily_shows_its_kpis(
    page, dagster_ui: str
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{dagster_ui}/assets/bronze/orders?view=partitions")
    _dismiss_welcome_dialog(page)
    # The partitions view counts the window's days by state: all materialized, none missing.
    page.get_by_text(f"{WINDOW_DAYS} Partitions Selected").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "orders-partitions.png"))
    expect(page.get_by_text(f"Materialized ({WINDOW_DAYS})", exact=True)).to_be_visible()
    expect(page.get_by_text("Missing (0)", exact=True)).to_be_visible()

    page.goto(f"{dagster_ui}/assets/gold/kpi_daily")
    page.get_by_text("Latest materialization").wait_for()
    for entry in ("kpi_total_revenue", "kpi_latest_orders", "first_date", "last_date"):
        page.get_by_text(entry, exact=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "kpi-daily.png"), full_page=True)
