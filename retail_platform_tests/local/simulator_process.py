"""Start a REST simulator of its own (e.g. with fault flags) for one test, and always stop it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

TOKEN = "test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_simulator(
    log_dir: Path, *, seed: int, scale: float, extra_args: Sequence[str] = ()
) -> Iterator[str]:
    """Yields the base URL; stops the process (and waits for it) however the block ends."""
    port = _free_port()
    log = log_dir / f"simulator-{port}.log"
    command = [
        sys.executable, "-m", "retail_platform.local.rest_simulator", "--host", "127.0.0.1",
        "--port", str(port), "--seed", str(seed), "--scale", str(scale), "--token", TOKEN,
        *extra_args,
    ]  # fmt: skip
    with log.open("wb") as log_file:  # a file, not an unread pipe that could stall the server
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"simulator exited early: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulator not healthy: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
