from pathlib import Path

from benchmarks.memory import PeakRssSampler
from benchmarks.overhead import _in_process_seconds, definitions_load
from benchmarks.workspace import PhaseContext, Workspace


def test_definitions_load_reports_each_step_between_its_clock_readings(tmp_path: Path) -> None:
    # Clock readings: start, dagster imported, platform imported, built, validated.
    readings = iter([100.0, 101.5, 104.0, 104.25, 105.0])
    with PeakRssSampler() as sampler:
        context = PhaseContext(Workspace(tmp_path), scale_factor=1, seed=1, sampler=sampler)
        result = definitions_load(context, clock=lambda: next(readings))

    assert {key: value for key, value in result.items() if key != "peak_rss_bytes"} == {
        "dagster_import_seconds": 1.5,
        "import_seconds": 4.0,
        "build_seconds": 0.25,
        "validate_seconds": 0.75,
        "total_seconds": 5.0,
    }
    assert next(readings, None) is None  # no other step read the clock
    assert result["peak_rss_bytes"] > 0


def test_no_op_assets_run_in_process() -> None:
    # Raises when the no-op job fails; the seconds themselves belong to `make bench`.
    _in_process_seconds(2)
