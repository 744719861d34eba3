"""The local dagster.yaml is a valid instance configuration with telemetry off."""

import shutil
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_local_dagster_yaml_builds_a_sqlite_instance(tmp_path: Path, monkeypatch) -> None:
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert not instance.telemetry_enabled
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert str(tmp_path) in instance.root_directory


def test_run_monitoring_is_on_and_frees_the_slots_of_dead_runs(tmp_path: Path, monkeypatch) -> None:
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        settings = instance.run_monitoring_settings
        assert settings["free_slots_after_run_end_seconds"] == 15
        assert settings["max_runtime_seconds"] == 7200


def test_the_freshness_policies_are_evaluated(tmp_path: Path, monkeypatch) -> None:
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert instance.get_settings("freshness") == {"enabled": True}
