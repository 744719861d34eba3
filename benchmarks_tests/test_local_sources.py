from pathlib import Path

from benchmarks.local_sources import generator
from benchmarks.memory import PeakRssSampler
from benchmarks.summary import local_generator_seconds, stack_up_seconds, targets
from benchmarks.workspace import PhaseContext, Workspace
from retail_platform.local.generator import generate


def test_generator_phase_reports_what_it_generated(tmp_path: Path) -> None:
    with PeakRssSampler() as sampler:
        context = PhaseContext(
            Workspace(tmp_path), scale_factor=1, seed=3, sampler=sampler, options={"scale": 0.02}
        )
        result = generator(context)

    expected = generate(seed=3, scale=0.02)
    assert result["scale"] == 0.02
    assert result["order_versions"] == len(expected.orders)
    assert result["customers"] == len(expected.customers)


def test_local_targets_judge_the_measured_seconds_and_skip_what_did_not_run() -> None:
    measured = {
        "options": {"scale_factor": 1.0},
        "local_generator": {"status": "ok", "result": {"seconds": 12.5}},
        "stack_up": {"scale": 0.25, "seconds": 40.0},
    }
    verdicts = {t.name: (t.measured, t.met) for t in targets(measured)}

    assert verdicts["local generator at scale 1"] == ("12.5 s", False)
    assert verdicts["local stack up"] == ("40.0 s", True)
    assert local_generator_seconds({"local_generator": {"status": "failed"}}) is None
    assert stack_up_seconds({}) is None
