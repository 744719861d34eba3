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


def _live_definitions(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    """Definitions over a recorded live stack (services are only read, never reached)."""
    from retail_platform.definitions import build_definitions
    from retail_platform.local.stack import ServiceState, StackState

    services = {
        name: ServiceState(name, 1, 1, "http://127.0.0.1:1", "log", ["x"])
        for name in ("rest", "s3", "snowflake")
    }
    state = StackState(
        str(state_dir), 42, 0.05, "bucket", "token", services, "2026-10-30", 395,
        live_since="2026-11-29T10:00:00Z", live_interval_seconds=120,
    )  # fmt: skip
    state_dir.mkdir()
    (state_dir / "stack.json").write_text(state.to_json())
    monkeypatch.setenv("RETAIL_PLATFORM_STATE_DIR", str(state_dir))
    return build_definitions()


def test_only_a_live_local_stack_turns_the_schedules_and_sensors_on(
    definitions: dg.Definitions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ("nightly_dated_sources_schedule", "nightly_customer_db_schedule")
    for name in names:
        schedule = definitions.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert "Stopped by default" in (schedule.description or "")
    for name in ("partner_files_sensor", "retail_automation"):
        sensor = definitions.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED

    live = _live_definitions(tmp_path / "live", monkeypatch)
    for name in names:
        schedule = live.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        assert schedule.cron_schedule == "*/2 * * * *"  # the 120 s live interval
        assert (schedule.description or "").startswith("LIVE LOCAL MODE")
    for name in ("partner_files_sensor", "retail_automation"):
        sensor = live.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert (sensor.description or "").startswith("LIVE LOCAL MODE")


def test_the_live_schedule_ingests_today_and_just_after_midnight_yesterday_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _live_definitions(tmp_path / "live", monkeypatch)
    schedule = live.resolve_schedule_def("nightly_dated_sources_schedule")

    def partitions(at: datetime) -> list[str]:
        context = dg.build_schedule_context(
            scheduled_execution_time=at, repository_def=live.get_repository_def()
        )
        requests = schedule.evaluate_tick(context).run_requests
        assert all(r.tags["retail/trigger"] == "schedule" for r in requests)
        return [request.partition_key for request in requests]

    assert partitions(datetime(2026, 11, 29, 12, 6, tzinfo=UTC)) == ["2026-11-29"]
    assert partitions(datetime(2026, 11, 30, 0, 2, tzinfo=UTC)) == ["2026-11-29", "2026-11-30"]


def test_local_partitions_start_on_the_windows_first_day(definitions: dg.Definitions) -> None:
    # conftest pins the window's end to 2026-10-30: the 13 months start on 2025-10-01.
    orders = definitions.resolve_asset_graph().get(dg.AssetKey(["bronze", "orders"]))
    assert orders.partitions_def.get_first_partition_key() == "2025-10-01"
