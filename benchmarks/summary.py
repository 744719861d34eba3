"""The numbers the report shows, derived from one run's raw results: ratios and targets."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

GIB = 1024**3
PLATFORM_ENGINE = "polars"
SF10_MEMORY_LIMIT_BYTES = 4 * GIB


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run


@dataclass(frozen=True)
class EngineResult:
    engine: str
    status: str  # ok, different, skipped, failed
    seconds: float | None
    peak_rss_bytes: int | None
    note: str


def _ok(outcome: dict | None) -> dict | None:
    return outcome["result"] if outcome and outcome.get("status") == "ok" else None


def engine_results(results: dict[str, Any]) -> dict[str, EngineResult]:
    gold = results.get("gold", {})
    verdicts = (_ok(gold.get("check")) or {}).get("engines", {})
    engines = {}
    for engine, outcomes in gold.get("runs", {}).items():
        done = [o["result"] for o in outcomes if o["status"] == "ok"]
        if not done:
            last = outcomes[-1] if outcomes else {"status": "failed", "reason": "not run"}
            engines[engine] = EngineResult(engine, last["status"], None, None, last["reason"])
            continue
        seconds = statistics.median(r["build"]["seconds"] for r in done)
        peak = max(r["build"]["peak_rss_bytes"] for r in done)
        verdict = verdicts.get(engine)
        note = f"median of {len(done)}" if len(done) > 1 else ""
        if "startup" in done[-1]:
            note = f"{note}; JVM start {done[-1]['startup']['seconds']:.1f}s not counted".strip(
                "; "
            )
        if verdict is None:
            engines[engine] = EngineResult(engine, "failed", seconds, peak, "not checked")
        elif not verdict["equal"]:
            first = next(iter(verdict["differences"].items()))
            engines[engine] = EngineResult(
                engine, "different", seconds, peak, f"{first[0]}: {first[1]}"
            )
        else:
            engines[engine] = EngineResult(engine, "ok", seconds, peak, note)
    return engines


def speedup(engines: dict[str, EngineResult], peer: str) -> float | None:
    """peer time / platform time, when both ran and matched."""
    platform, other = engines.get(PLATFORM_ENGINE), engines.get(peer)
    if not platform or not other or platform.status != "ok" or other.status != "ok":
        return None
    return other.seconds / platform.seconds if platform.seconds else None


def lake_seconds(outcome_result: dict | None) -> float | None:
    return outcome_result["lake_total"]["seconds"] if outcome_result else None


def definitions_load_seconds(results: dict[str, Any]) -> float | None:
    loads = [o["result"]["total_seconds"] for o in results.get("definitions_load", []) if _ok(o)]
    return statistics.median(loads) if loads else None


def io_floor_multiple(results: dict[str, Any]) -> float | None:
    floor = _ok(results.get("io_floor"))
    full = lake_seconds(results.get("full_build"))
    if not floor or not full:
        return None
    return full / floor["floor"]["seconds"]


def history_days(results: dict[str, Any]) -> int:
    """Days of history of the run's full build (runs before the option had 30)."""
    return int(results["options"].get("history_days", 30))


def late_window_days(results: dict[str, Any]) -> int:
    """Days before the new day whose orders got late versions (runs before the option: all)."""
    return int(results["options"].get("late_window_days", history_days(results)))


def incremental_share(results: dict[str, Any]) -> float | None:
    incremental = lake_seconds(_ok(results.get("incremental")))
    full = lake_seconds(results.get("full_build"))
    return incremental / full if incremental and full else None


def layer_peaks(results: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(run, layer) -> peak RSS of every layer of the full build and of the incremental run
    (when it succeeded); run is "full build" or "incremental run"."""
    runs = {
        "full build": results.get("full_build"),
        "incremental run": _ok(results.get("incremental")),
    }
    return {
        (run, layer): values["peak_rss_bytes"]
        for run, found in runs.items()
        for layer, values in (found or {}).get("layers", {}).items()
    }


def pipeline_peak_bytes(results: dict[str, Any]) -> int:
    """The highest peak of any layer of the full build or of the incremental run (the target
    is the whole pipeline's memory, both ways)."""
    return max(layer_peaks(results).values(), default=0)


def local_generator_seconds(results: dict[str, Any]) -> float | None:
    outcome = _ok(results.get("local_generator"))
    return outcome["seconds"] if outcome else None


def stack_up_seconds(results: dict[str, Any]) -> float | None:
    stack_up = results.get("stack_up")
    return stack_up["seconds"] if stack_up else None


def _ratio_target(name: str, goal: str, value: float | None, met: Any, fmt: str) -> Target:
    if value is None:
        return Target(name, goal, "not measured (see below)", None)
    return Target(name, goal, fmt.format(value), bool(met(value)))


def targets(results: dict[str, Any]) -> list[Target]:
    engines = engine_results(results)
    duckdb, pandas, spark = (speedup(engines, e) for e in ("duckdb", "pandas", "pyspark"))
    scale = float(results["options"]["scale_factor"])
    peak = pipeline_peak_bytes(results)
    memory = (
        Target(
            "SF10 peak memory", "< 4 GiB", f"{peak / GIB:.2f} GiB", peak < SF10_MEMORY_LIMIT_BYTES
        )
        if scale >= 10
        else Target(
            "SF10 peak memory",
            "< 4 GiB",
            f"not measured at SF{scale:g} (peak here {peak / GIB:.2f} GiB; "
            f"~{peak * 10 / scale / GIB:.0f} GiB at SF10 if it grows linearly)",
            None,
        )
    )
    return [
        _ratio_target(
            "gold build vs DuckDB",
            "<= 1.0x DuckDB's time",
            None if duckdb is None else 1 / duckdb,
            lambda v: v <= 1.0,
            "{:.2f}x DuckDB's time",
        ),
        _ratio_target(
            "gold build vs pandas", ">= 5x faster", pandas, lambda v: v >= 5, "{:.1f}x faster"
        ),
        _ratio_target(
            "gold build vs PySpark local",
            ">= 10x faster",
            spark,
            lambda v: v >= 10,
            "{:.1f}x faster",
        ),
        _ratio_target(
            "whole pipeline vs I/O floor",
            "<= 2x the floor",
            io_floor_multiple(results),
            lambda v: v <= 2,
            "{:.1f}x the floor",
        ),
        memory,
        _ratio_target(
            "incremental daily run",
            "<= 5% of a full build",
            incremental_share(results),
            lambda v: v <= 0.05,
            "{:.0%} of a full build (" + f"{history_days(results)}-day history)",
        ),
        _ratio_target(
            "Definitions load",
            "< 3 s",
            definitions_load_seconds(results),
            lambda v: v < 3,
            "{:.1f} s",
        ),
        _ratio_target(
            "local generator at scale 1",
            "< 10 s",
            local_generator_seconds(results),
            lambda v: v < 10,
            "{:.1f} s",
        ),
        _ratio_target(
            "local stack up",
            "< 120 s",
            stack_up_seconds(results),
            lambda v: v < 120,
            "{:.1f} s",
        ),
    ]
