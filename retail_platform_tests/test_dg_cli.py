"""The dg CLI works on the project ([tool.dg] in pyproject.toml), as CI runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retail_platform.definitions import build_definitions
from retail_platform.environment import Environment

ROOT = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).with_name("dg")


def _dg(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DG), *arguments],
        cwd=ROOT,
        env=os.environ | {"RETAIL_PLATFORM_ENV": "local", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def listed() -> dict:
    result = _dg("list", "defs", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dg_check_defs_passes() -> None:
    result = _dg("check", "defs")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout + result.stderr


def test_dg_list_defs_shows_the_code_location_the_platform_builds(listed: dict) -> None:
    definitions = build_definitions(Environment.LOCAL)
    graph = definitions.resolve_asset_graph()

    assert {asset["asset_key"] for asset in listed["assets"]} == {
        key.to_user_string() for key in graph.get_all_asset_keys()
    }
    assert {sensor["name"] for sensor in listed["sensors"]} == {
        sensor.name for sensor in definitions.sensors or []
    }
    assert "gold/kpi_daily" in {asset["asset_key"] for asset in listed["assets"]}
    assert "nightly_dated_sources_schedule" in {s["name"] for s in listed["schedules"]}


def test_dg_list_defs_shows_the_checks(listed: dict) -> None:
    checks = {check["key"] for check in listed["asset_checks"]}
    graph = build_definitions(Environment.LOCAL).resolve_asset_graph()

    assert checks == {
        f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys
    }
