"""Local state that cannot silently mix: a stack refuses to serve another data set than the
one its lake was built from, before starting any process, and says how to reset."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from retail_platform import cli
from retail_platform.local import stack
from retail_platform.local.origin import (
    DatasetMismatchError,
    DatasetOrigin,
    record_lake_origin,
    recorded_lake_origin,
    resolve_origin,
)
from retail_platform_tests.local.test_stack import (
    install_standins,
    started_pids,  # noqa: F401 - fixture
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAKE = DatasetOrigin(seed=42, scale=0.2, end_date="2026-11-27", days=392)


def test_a_new_lake_takes_the_pinned_end_and_13_months(tmp_path: Path) -> None:
    # conftest pins RETAIL_PLATFORM_DATA_END=2026-10-30: 2025-10-01 .. 2026-10-30.
    origin = resolve_origin(tmp_path, 42, 1.0, None, None)
    assert origin == DatasetOrigin(42, 1.0, "2026-10-30", 395)


def test_a_recorded_lake_keeps_its_window_on_later_days(tmp_path: Path) -> None:
    record_lake_origin(tmp_path, LAKE)
    assert resolve_origin(tmp_path, 42, 0.2, None, None) == LAKE
    assert recorded_lake_origin(tmp_path) == LAKE


@pytest.mark.parametrize(
    ("seed", "scale", "end_date", "why"),
    [
        (42, 1.0, None, "scale 1, "),
        (7, 0.2, None, "seed 7, "),
        (42, 0.2, date(2026, 11, 28), "ending 2026-11-28"),
    ],
)
def test_another_seed_scale_or_window_is_refused_with_the_reset(
    tmp_path: Path, seed: int, scale: float, end_date: date | None, why: str
) -> None:
    record_lake_origin(tmp_path, LAKE)
    with pytest.raises(DatasetMismatchError) as raised:
        resolve_origin(tmp_path, seed, scale, end_date, None)
    message = str(raised.value)
    assert "seed 42, scale 0.2, 392 days ending 2026-11-27" in message
    assert why in message
    assert "make clean" in message
    assert "make dev SCALE=0.2" in message


def test_a_lake_with_data_but_no_record_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lake" / "bronze" / "orders").mkdir(parents=True)
    with pytest.raises(DatasetMismatchError, match=r"no record of the data set.*make clean"):
        resolve_origin(tmp_path, 42, 1.0, None, None)


@pytest.mark.integration
def test_the_cli_refuses_before_starting_anything_and_records_what_it_serves(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    started_pids: list[int],  # noqa: F811 - fixture
) -> None:
    install_standins(monkeypatch)
    state_dir = str(tmp_path / "state")
    up = ["stack", "up", "--state-dir", state_dir, "--scale", "0.2"]
    assert cli.main(up) == 0
    assert recorded_lake_origin(Path(state_dir)) == DatasetOrigin(42, 0.2, "2026-10-30", 395)
    recorded = stack.load_state(Path(state_dir))
    assert (recorded.end_date, recorded.days) == ("2026-10-30", 395)
    assert cli.main(["stack", "down", "--state-dir", state_dir]) == 0
    pids_before = list(started_pids)
    capsys.readouterr()

    assert cli.main(["stack", "up", "--state-dir", state_dir, "--scale", "1.0"]) == 1
    error = capsys.readouterr().err
    assert "was built from seed 42, scale 0.2" in error and "make clean" in error
    assert started_pids == pids_before  # refused before any process started
    assert stack.load_state(Path(state_dir)) is None


def test_make_dev_and_make_demo_pass_the_scale() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^(dev|demo):.*\n\t(.*)$", makefile, flags=re.MULTILINE))
    assert "retail-platform dev --live --scale $(SCALE)" in targets["dev"]
    assert "retail-platform demo --scale $(SCALE)" in targets["demo"]
