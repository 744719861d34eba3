from pathlib import Path

from retail_platform.bench.memory import PeakRssSampler
from retail_platform.bench.overhead import _in_process_seconds, definitions_load
from retail_platform.bench.workspace import PhaseContext, Workspace


def test_definitions_load_reports_its_parts(tmp_path: Path) -> None:
    with PeakRssSampler() as sampler:
        context = PhaseContext(Workspace(tmp_path), scale_factor=1, seed=1, sampler=sampler)
        result = definitions_load(context)

    parts = result["import_seconds"] + result["build_seconds"] + result["validate_seconds"]
    assert abs(result["total_seconds"] - parts) < 1e-6
    assert result["build_seconds"] > 0
    assert result["peak_rss_bytes"] > 0


def test_no_op_assets_run_in_process() -> None:
    assert _in_process_seconds(2) > 0
