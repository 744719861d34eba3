"""One live local stack and one `dagster-daemon` over it, for the daemon tests of this package.

The daemon serves the project's workspace.yaml, exactly as in production, plus a second
workspace file with the one-asset location of pool_holder.py (test_run_monitoring.py). The
`daemon` fixture of conftest.py starts it once for both tests.
"""

import gzip
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.environment import local_resources
from retail_platform.local.stack import StackConfig, StackState, running_stack
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform_tests.dagster_process import (
    PROJECT_ROOT,
    dagster_environment,
    dagster_process,
)

SCALE = 0.05
# A batch every 2 minutes, the schedules as often: runs queue (two at a time) when faster.
LIVE_INTERVAL_SECONDS = 120
BIN = Path(sys.executable).parent
HOLDER = Path(__file__).with_name("pool_holder.py")
# The product of the catalog file dropped into S3 before the daemon starts (end-to-end test).
NEW_PRODUCT_ID = "P99901"
NEW_SKU = "SKU-99901"
NEW_NAME = "Unattended Kettle Teal"


@dataclass(frozen=True)
class Daemon:
    """The running daemon, its instance's home and the live stack it serves."""

    stack: StackState
    state_dir: Path
    dagster_home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    holder_workspace: Path  # the pool_holder.py location, for `dagster job launch -w`
    holder_dir: Path  # where each hold_the_pool run writes its worker's pid
    new_product_key: str  # the S3 key of the catalog file with the new product ...
    new_product_dropped_at: float  # ... and when it was dropped (time.monotonic())


def catalog_file_with_a_new_product(drops: PartnerDropsResource) -> tuple[str, bytes]:
    """A copy of the seeded catalog file's layout (and compression) with one new product."""
    seeded = next(obj.key for obj in drops.list_objects("catalog/"))
    raw = drops.read_bytes(seeded)
    compressed = raw[:2] == b"\x1f\x8b"
    text = (gzip.decompress(raw) if compressed else raw).decode()
    template = pl.read_csv(io.StringIO(text), infer_schema=False).head(1)
    row = template.with_columns(
        product_id=pl.lit(NEW_PRODUCT_ID),
        sku=pl.lit(NEW_SKU),
        name=pl.lit(NEW_NAME),
        updated_at=pl.lit("2026-10-31T09:00:00Z"),
    )
    body = row.write_csv().encode()
    key = re.sub(r"\d{4}-\d{2}-\d{2}", "2026-10-31", seeded)
    assert key != seeded, f"expected a dated catalog key, got {seeded}"
    return key, gzip.compress(body) if compressed else body


@contextmanager
def shared_daemon(root: Path) -> Iterator[Daemon]:
    """Start the live stack, then the daemon, under the empty folder `root`; stop both after."""
    state_dir, dagster_home, holder_dir = root / "stack", root / "home", root / "holders"
    for folder in (state_dir, dagster_home, holder_dir):
        folder.mkdir()
    env = {**dagster_environment(dagster_home, state_dir), "HOLDER_DIR": str(holder_dir)}
    # Create the instance's SQLite storage once, before the daemon, its code servers and the
    # tests open it at the same moment (concurrent first opens stamp the schema twice).
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass
    holder_workspace = root / "holder_workspace.yaml"
    holder_workspace.write_text(
        f"load_from:\n  - python_file:\n      relative_path: {HOLDER}\n"
        f"      working_directory: {PROJECT_ROOT}\n"
    )
    config = StackConfig(
        state_dir=state_dir, scale=SCALE, live=True, live_interval_seconds=LIVE_INTERVAL_SECONDS
    )
    log = root / "daemon.log"
    command = [
        str(BIN / "dagster-daemon"), "run",
        "-w", str(PROJECT_ROOT / "workspace.yaml"), "-w", str(holder_workspace),
    ]  # fmt: skip
    with running_stack(config) as stack:
        # The end-to-end test's drop happens before the daemon starts, so its first sensor tick
        # sees it with the seeded files, as when that test started a daemon of its own.
        drops = local_resources(state_dir)["partner_drops"]
        key, body = catalog_file_with_a_new_product(drops)
        dropped_at = time.monotonic()
        drops.put_bytes(key, body)
        with dagster_process(command, env, log) as process:
            yield Daemon(
                stack, state_dir, dagster_home, env, process, log, holder_workspace,
                holder_dir, key, dropped_at,
            )  # fmt: skip
