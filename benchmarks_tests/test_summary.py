"""benchmarks/summary.py: the figures the targets are judged on, from hand-made results."""

from benchmarks.summary import GIB, pipeline_peak_bytes, targets


def _layers(**peaks: int) -> dict:
    layers = {name: {"peak_rss_bytes": peak} for name, peak in peaks.items()}
    return {"layers": layers, "lake_total": {"seconds": 10.0}}


def _results(scale: float, full: dict, incremental: dict | None) -> dict:
    results = {"options": {"scale_factor": scale}, "full_build": full}
    if incremental is not None:
        results["incremental"] = {"status": "ok", "result": incremental}
    return results


def test_the_pipeline_peak_covers_the_incremental_run_too() -> None:
    full = _layers(silver=2 * GIB, gold=3 * GIB)
    night = _layers(silver=5 * GIB, gold=1 * GIB)

    assert pipeline_peak_bytes(_results(10, full, night)) == 5 * GIB
    assert pipeline_peak_bytes(_results(10, full, None)) == 3 * GIB


def test_a_failed_incremental_run_adds_no_peak() -> None:
    results = _results(10, _layers(gold=3 * GIB), None)
    results["incremental"] = {"status": "failed", "error": "boom"}

    assert pipeline_peak_bytes(results) == 3 * GIB


def test_the_sf10_memory_target_is_judged_on_both_runs() -> None:
    under = targets(_results(10, _layers(gold=3 * GIB), _layers(silver=3 * GIB)))
    over = targets(_results(10, _layers(gold=3 * GIB), _layers(silver=5 * GIB)))

    assert {t.name: t.met for t in under}["SF10 peak memory"] is True
    assert {t.name: t.met for t in over}["SF10 peak memory"] is False
