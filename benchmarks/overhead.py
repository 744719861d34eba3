"""Dagster's own cost: loading the code location, and running assets that do nothing.

This module imports nothing heavy at the top: `definitions_load` runs first in a fresh worker
and times the platform's imports as a code server pays them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks.workspace import PhaseContext

NOOP_REPEATS = 3


def definitions_load(
    context: PhaseContext, clock: Callable[[], float] = time.perf_counter
) -> dict[str, Any]:
    """Import the code location, build its Definitions and validate them as loadable."""
    started = clock()
    import dagster as dg

    dagster_imported = clock()
    import retail_platform.definitions  # noqa: F401  (timed: what a code server imports)

    imported = clock()
    from benchmarks import platform_api

    definitions = platform_api.build_definitions()
    built = clock()
    dg.Definitions.validate_loadable(definitions)
    validated = clock()
    return {
        "import_seconds": imported - started,
        "dagster_import_seconds": dagster_imported - started,
        "build_seconds": built - imported,
        "validate_seconds": validated - built,
        "total_seconds": validated - started,
        "peak_rss_bytes": context.sampler.peak_bytes,
    }


def _in_process_seconds(count: int) -> float:
    import dagster as dg

    from benchmarks.noop_assets import noop_job

    job = noop_job(count, dg.in_process_executor)
    with dg.DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        job.execute_in_process(instance=instance, raise_on_error=True)
        return time.perf_counter() - started


def _multiprocess_seconds(job_factory: Any) -> float:
    import dagster as dg

    cores = os.cpu_count() or 1
    run_config = {"execution": {"config": {"max_concurrent": cores}}}
    with tempfile.TemporaryDirectory() as home, dg.DagsterInstance.local_temp(home) as instance:
        started = time.perf_counter()
        result = dg.execute_job(
            dg.reconstructable(job_factory), instance=instance, run_config=run_config
        )
        seconds = time.perf_counter() - started
        if not result.success:
            raise RuntimeError("the no-op multiprocess run failed")
        return seconds


def noop_assets(context: PhaseContext) -> dict[str, Any]:
    """Run time of 1 and of N no-op assets; the difference / (N - 1) is the cost per asset."""
    from benchmarks import noop_assets as noop

    count, mp_count = noop.NOOP_ASSET_COUNT, noop.MULTIPROCESS_ASSET_COUNT
    _in_process_seconds(1)  # warm-up: the first run pays one-off imports
    one = statistics.median(_in_process_seconds(1) for _ in range(NOOP_REPEATS))
    many = statistics.median(_in_process_seconds(count) for _ in range(NOOP_REPEATS))
    mp_one = _multiprocess_seconds(noop.multiprocess_job_one)
    mp_many = _multiprocess_seconds(noop.multiprocess_job_all)
    return {
        "in_process": {
            "asset_count": count,
            "run_of_one_seconds": one,
            "run_of_n_seconds": many,
            "per_asset_seconds": (many - one) / (count - 1),
        },
        "multiprocess": {
            "asset_count": mp_count,
            "run_of_one_seconds": mp_one,
            "run_of_n_seconds": mp_many,
            "per_asset_seconds": (mp_many - mp_one) / (mp_count - 1),
            "max_concurrent": os.cpu_count() or 1,
        },
        "peak_rss_bytes": context.sampler.peak_bytes,
    }
