"""`retail-platform dev`: the local stack plus `dagster dev`, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from retail_platform.environment import PROJECT_ROOT, STATE_DIR_VARIABLE
from retail_platform.local.stack import StackConfig, running_stack

DAGSTER_DEV_STOP_SECONDS = 30  # dagster dev takes several seconds to stop its children


def run_dev(config: StackConfig, host: str = "127.0.0.1", port: int = 3000) -> int:
    dagster = Path(sys.executable).with_name("dagster")
    environment = {**os.environ, STATE_DIR_VARIABLE: str(config.state_dir.resolve())}
    with running_stack(config) as state:
        print(
            f"Local stack up: REST {state.endpoints.rest_base_url}, "
            f"S3 {state.endpoints.s3_endpoint_url}"
        )
        print(f"Dagster UI on http://{host}:{port} (Ctrl-C stops the UI and the stack)")
        if state.live_since:
            print(
                f"Live mode: new orders, payments and customer changes every "
                f"{state.live_interval_seconds} s, a partner file every other batch; the "
                "schedules, the S3 sensor and the automation are on. "
                "`retail-platform live stop` stops the flow."
            )
        process = subprocess.Popen(
            [
                str(dagster),
                "dev",
                "-w",
                str(PROJECT_ROOT / "workspace.yaml"),
                "-h",
                host,
                "-p",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=environment,
        )
        try:
            return process.wait()
        except (KeyboardInterrupt, SystemExit):
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=DAGSTER_DEV_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return 0
