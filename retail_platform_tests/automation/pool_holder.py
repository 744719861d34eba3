"""A tiny code location for the run-monitoring test: one asset that holds a table's pool.

It runs in the run worker process itself (in-process executor), records that process's pid
in HOLDER_DIR, and sleeps for the configured seconds while holding the pool's only slot.
"""

import os
import time
from pathlib import Path

import dagster as dg

POOL = "delta/bronze/orders"


class HoldConfig(dg.Config):
    seconds: float = 0.0


@dg.asset(pool=POOL)
def hold_the_pool(context: dg.AssetExecutionContext, config: HoldConfig) -> None:
    folder = Path(os.environ["HOLDER_DIR"])
    (folder / f"{context.run.run_id}.pid").write_text(str(os.getpid()))
    time.sleep(config.seconds)


hold_the_pool_job = dg.define_asset_job(
    "hold_the_pool_job", selection=[hold_the_pool], executor_def=dg.in_process_executor
)

defs = dg.Definitions(assets=[hold_the_pool], jobs=[hold_the_pool_job])
