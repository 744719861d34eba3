"""One benchmark phase in a fresh process: `python -m benchmarks.worker REQ RESULT`.

A fresh process per phase gives every engine the same cold start, keeps one phase's memory
out of the next one's peak, and lets the sampler see exactly this phase's process tree (the
JVM of Spark and Dagster's step processes included). The request and the result are JSON.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.memory import PeakRssSampler
from benchmarks.window import Window
from benchmarks.workspace import PhaseContext, Workspace

# Phase name -> "module:function"; modules load lazily so a phase imports only what it needs
# (the Definitions load time must not include what another phase imported).
PHASES: dict[str, str] = {
    "sources": "platform_phases:sources_sample",
    "land": "platform_phases:land",
    "full_build": "platform_phases:full_build",
    "incremental": "platform_phases:incremental",
    "io_floor": "platform_phases:io_floor",
    "gold_polars": "platform_phases:gold_with_transforms",
    "gold_duckdb": "peers.duckdb_gold:build_gold",
    "gold_pandas": "peers.pandas_gold:build_gold",
    "gold_pyspark": "peers.spark_gold:build_gold",
    "check": "checks:check_engines",
    "definitions_load": "overhead:definitions_load",
    "noop_assets": "overhead:noop_assets",
    "probes": "checks:hot_spot_probes",
    "local_generator": "local_sources:generator",
}
# Exceptions (by class name) that mean "this peer cannot run here", reported as skipped.
SKIP_ERRORS = {"SparkUnavailableError"}


def resolve(phase: str) -> Callable[[PhaseContext], dict[str, Any]]:
    if phase not in PHASES:
        raise KeyError(f"unknown benchmark phase {phase!r}; known: {', '.join(sorted(PHASES))}")
    module, function = PHASES[phase].split(":")
    return getattr(importlib.import_module(f"benchmarks.{module}"), function)


def run(request: dict[str, Any]) -> dict[str, Any]:
    outcome = _run(request)
    # Shared machines drift: the load around each phase goes into the report.
    return outcome | {"load_average_1m_after": round(os.getloadavg()[0], 2)}


def _run(request: dict[str, Any]) -> dict[str, Any]:
    with PeakRssSampler() as sampler:
        context = PhaseContext(
            workspace=Workspace(Path(request["workspace"])),
            scale_factor=float(request["scale_factor"]),
            seed=int(request["seed"]),
            sampler=sampler,
            options=dict(request.get("options", {})),
            window=Window(**request.get("window", {})),
        )
        try:
            return {"status": "ok", "result": resolve(request["phase"])(context)}
        except Exception as error:
            status = "skipped" if type(error).__name__ in SKIP_ERRORS else "failed"
            traceback.print_exc()
            return {"status": status, "reason": f"{type(error).__name__}: {error}"}


def main(argv: list[str]) -> int:
    request_path, result_path = (Path(arg) for arg in argv)
    outcome = run(json.loads(request_path.read_text()))
    result_path.write_text(json.dumps(outcome, indent=2, default=str))
    return 0 if outcome["status"] != "failed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
