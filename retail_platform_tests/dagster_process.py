"""Start a Dagster process (daemon, `dagster dev`) for a test and always stop all it started.

The process leads a new session, so its process group holds it, the code server it spawns and
every run worker; stopping signals the leader first (so it shuts its children down cleanly),
then sweeps whatever is left of that group, by its id, and waits until none is left.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STOP_SECONDS = 60.0  # dagster dev takes several seconds to stop its webserver and daemon
# Loading the code location takes longer than gRPC's 60 s default when the cores are busy.
GRPC_TIMEOUT_SECONDS = "180"


def dagster_environment(dagster_home: Path, state_dir: Path) -> dict[str, str]:
    """The environment a Dagster process of the local platform gets: its own DAGSTER_HOME
    (the project's SQLite dagster.yaml copied in) and the local stack in `state_dir`."""
    shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "RETAIL_PLATFORM_STATE_DIR": str(state_dir),
        "RETAIL_PLATFORM_ENV": "local",
        "DAGSTER_GRPC_TIMEOUT_SECONDS": GRPC_TIMEOUT_SECONDS,
    }
    env.pop("RETAIL_ALERT_WEBHOOK_URL", None)  # failures are logged, never posted anywhere
    return env


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group `pgid` that are not zombies (orphans may await reaping)."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat.rsplit(")", 1)[1].split()
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in ("Z", "X"):
            members.append(int(stat_file.parent.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = STOP_SECONDS) -> None:
    pgid = process.pid  # start_new_session: the leader's pid is the group id
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(pgid, signal.SIGKILL)
            process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    _signal_group(pgid, signal.SIGTERM)  # children the leader left behind (run workers)
    while live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if live_group_members(pgid):
        _signal_group(pgid, signal.SIGKILL)
        while live_group_members(pgid) and time.monotonic() < deadline + 10:
            time.sleep(0.2)
    leftover = live_group_members(pgid)
    assert not leftover, f"processes of group {pgid} still running: {leftover}"


@contextlib.contextmanager
def dagster_process(
    command: Sequence[str], env: Mapping[str, str], log_file: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process_group(process)


def log_tail(log_file: Path, lines: int = 40) -> str:
    text = log_file.read_text(errors="replace") if log_file.exists() else ""
    return "\n".join(text.splitlines()[-lines:]) or "<empty log>"
