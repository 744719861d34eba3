"""The nightly schedule ingests yesterday's partition of the dated sources."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.automation.jobs import DATED_SOURCES


@pytest.fixture
def definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    from retail_platform.definitions import build_definitions

    monkeypatch.setenv("RETAIL_PLATFORM_STATE_DIR", str(tmp_path))
    return build_definitions()


def test_nightly_run_at_two_targets_yesterday(definitions: dg.Definitions) -> None:
    schedule = definitions.resolve_schedule_def("nightly_dated_sources_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    )
    result = schedule.evaluate_tick(context)
    assert [request.partition_key for request in result.run_requests] == ["2026-11-01"]


def test_the_nightly_job_selects_only_the_dated_sources(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    assert {key.to_user_string() for key in DATED_SOURCES.resolve(graph)} == {
        "bronze/orders",
        "bronze/payments",
    }
