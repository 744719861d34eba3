"""No-op assets for measuring Dagster's own cost per asset.

Module-level job factories, so the multiprocess executor can rebuild the job in each step
process (`dg.reconstructable` needs an importable, argument-free function).
"""

from __future__ import annotations

import dagster as dg

NOOP_ASSET_COUNT = 10
# Every multiprocess step starts a Python process that imports Dagster: keep that run short.
MULTIPROCESS_ASSET_COUNT = 4


def _noop_asset(index: int) -> dg.AssetsDefinition:
    @dg.asset(name=f"noop_{index:02d}", group_name="bench")
    def _noop() -> dg.MaterializeResult:
        return dg.MaterializeResult()

    return _noop


NOOP_ASSETS = [_noop_asset(index) for index in range(NOOP_ASSET_COUNT)]


def noop_job(count: int, executor: dg.ExecutorDefinition) -> dg.JobDefinition:
    selection = [asset.key for asset in NOOP_ASSETS[:count]]
    job = dg.define_asset_job("noop", selection=selection, executor_def=executor)
    return dg.Definitions(assets=NOOP_ASSETS, jobs=[job]).resolve_job_def("noop")


def multiprocess_job_one() -> dg.JobDefinition:
    return noop_job(1, dg.multiprocess_executor)


def multiprocess_job_all() -> dg.JobDefinition:
    return noop_job(MULTIPROCESS_ASSET_COUNT, dg.multiprocess_executor)
