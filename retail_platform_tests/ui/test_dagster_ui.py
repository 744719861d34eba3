"""The Dagster UI in a real browser: Debian's chromium, driven by Playwright, against
`dagster dev` on the local stack. Opens the lineage, finds the four layers, materializes an
asset from the UI and watches the run succeed. Screenshots go to test-artifacts/ui/."""

import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterator
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
LAYERS = ("bronze", "silver", "gold", "warehouse")
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
    with (
        running_stack(StackConfig(state_dir=state_dir, scale=0.05)),
        dagster_process(command, env, log_file) as process,
    ):
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{url}/server_info"):
            assert process.poll() is None, f"dagster dev exited:\n{log_tail(log_file)}"
            assert time.monotonic() < deadline, f"UI not up:\n{log_tail(log_file)}"
            time.sleep(1)
        yield url


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


def test_lineage_shows_the_four_layers_and_a_materialization_from_the_ui_succeeds(
    page, dagster_ui: str
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{dagster_ui}/asset-groups")
    _dismiss_welcome_dialog(page)
    for layer in LAYERS:  # each layer is a group box in the lineage graph
        page.locator(f'[data-tooltip="{layer}"]').first.wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / "lineage.png"))

    page.goto(f"{dagster_ui}/assets/bronze/products")
    page.get_by_text("Never materialized").wait_for()
    # The button's accessible name includes its icon's label ("materialization Materialize").
    page.locator("button").filter(has_text=re.compile(r"^Materialize$")).first.click()
    page.get_by_text("Launched run").first.wait_for()
    # The toast links to the run it launched (sensors launch runs of their own).
    run_path = page.locator('a[href^="/runs/"]').first.get_attribute("href")
    assert run_path and len(run_path) == len("/runs/") + 36, run_path  # /runs/<uuid>

    page.goto(f"{dagster_ui}{run_path}")
    page.get_by_text("Success", exact=True).first.wait_for(timeout=RUN_SECONDS * 1000)
    page.screenshot(path=str(ARTIFACTS / "run-succeeded.png"))

    page.goto(f"{dagster_ui}/assets/bronze/products")
    page.get_by_text("Latest materialization").wait_for()
    expect(page.get_by_text("Never materialized")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "asset-materialized.png"))
