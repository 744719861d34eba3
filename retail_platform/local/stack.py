"""Start and stop the local stand-ins (S3, Snowflake, REST, FX feed) as processes on 127.0.0.1.

What was started is recorded in ``<state_dir>/stack.json`` so that a later ``down``/``status``,
even from another process (a second CLI call), finds it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from retail_platform.local.origin import (
    DatasetMismatchError,
    DatasetOrigin,
    record_lake_origin,
    resolve_origin,
)
from retail_platform.local.services import (
    FX,
    HOST,
    REST,
    S3,
    SNOWFLAKE,
    ServiceSpec,
    build_service_specs,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = PROJECT_ROOT / ".local"
LOCAL_ONLY_API_TOKEN = "local-dev-token"  # never a real secret: only the local simulator accepts it
STOP_GRACE_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.1

SERVICE_ORDER = (S3, SNOWFLAKE, REST, FX)


class StackStartError(RuntimeError):
    """A service did not become ready; the message names it and quotes its log tail."""


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path = DEFAULT_STATE_DIR
    seed: int = 42
    scale: float = 1.0
    api_token: str = LOCAL_ONLY_API_TOKEN
    s3_bucket: str = "retail-partner-drops"
    s3_port: int | None = None  # None or 0: pick a free port
    snowflake_port: int | None = None
    rest_port: int | None = None
    startup_timeout_seconds: float = 120.0  # per service; the simulator generates data first
    # The data window: None takes the lake's recorded end (or yesterday for a new lake) and
    # the 13 calendar months up to it (window.py).
    end_date: date | None = None
    days: int | None = None
    # Live mode (live.py): the stand-ins release new data every `live_interval_seconds`.
    live: bool = False
    live_interval_seconds: int = 120


@dataclass(frozen=True)
class LocalEndpoints:
    """What the platform's local resources need to reach the stack."""

    rest_base_url: str
    api_token: str
    s3_endpoint_url: str
    s3_bucket: str
    snowflake_host: str
    snowflake_port: int


@dataclass
class ServiceState:
    name: str
    pid: int
    port: int
    url: str
    log_file: str
    command: list[str]  # recorded to recognise the process again (pid-reuse guard)


@dataclass
class StackState:
    state_dir: str
    seed: int
    scale: float
    s3_bucket: str
    api_token: str
    services: dict[str, ServiceState] = field(default_factory=dict)
    end_date: str = ""  # the data window the stand-ins serve (ISO day, inclusive) ...
    days: int = 0  # ... and its length; 0 in a state file written before windows were recorded
    live_since: str = ""  # live mode: when the flow started ("" when not live) ...
    live_interval_seconds: int = 0  # ... the seconds per tick ...
    live_stopped_at: str = ""  # ... and when `retail-platform live stop` froze it

    @property
    def origin(self) -> DatasetOrigin:
        return DatasetOrigin(self.seed, self.scale, self.end_date, self.days)

    @property
    def endpoints(self) -> LocalEndpoints:
        rest, s3, snowflake = (self.services[name] for name in (REST, S3, SNOWFLAKE))
        return LocalEndpoints(
            rest.url, self.api_token, s3.url, self.s3_bucket, HOST, snowflake.port
        )

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackState:
        raw = json.loads(text)
        raw = {key: value for key, value in raw.items() if key in _STATE_FIELDS}
        services = {name: ServiceState(**svc) for name, svc in raw.pop("services").items()}
        return cls(**raw, services=services)


_STATE_FIELDS = {f.name for f in dataclasses.fields(StackState)}


# Popen objects of the services this process started, so it can reap them (no zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def seed_s3_bucket(config: StackConfig, endpoint_url: str) -> list[str]:
    """Put the generated partner drops into the fresh S3 stand-in."""
    from retail_platform.local.generator import generate  # heavy; only needed at start-up
    from retail_platform.local.seed import seed_s3

    origin = resolve_origin(
        config.state_dir, config.seed, config.scale, config.end_date, config.days
    )
    dataset = generate(
        seed=origin.seed,
        scale=origin.scale,
        end_date=date.fromisoformat(origin.end_date),
        days=origin.days,
    )
    return seed_s3(dataset, endpoint_url=endpoint_url, bucket=config.s3_bucket)


# --- process handling ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Orphans whose new parent does not reap them linger as zombies: those are dead too.
    stat_file = Path(f"/proc/{pid}/stat")
    stat = stat_file.read_text() if stat_file.exists() else ") X"
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_our_process(pid: int, command: list[str]) -> bool:
    """Guard against pid reuse: the live process must run the command we recorded."""
    try:
        actual = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    actual_args = [arg for arg in actual.split("\0") if arg]
    expected_tail = command[1:]
    # Console scripts run through their shebang interpreter, so argv[0] may differ.
    tail_matches = not expected_tail or actual_args[-len(expected_tail) :] == expected_tail
    program = Path(command[0]).name
    return tail_matches and any(Path(arg).name == program for arg in actual_args)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Each service leads its own session (start_new_session), so its group id is its pid;
    # only signal the group while that is still true, otherwise just the process.
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)
    return not _pid_alive(pid)


def _stop_pid(pid: int) -> None:
    """SIGTERM the service's group, escalate to SIGKILL after the grace period, then reap."""
    if _pid_alive(pid):
        _signal_group(pid, signal.SIGTERM)
        if not _wait_for_exit(pid, STOP_GRACE_SECONDS):
            _signal_group(pid, signal.SIGKILL)
            _wait_for_exit(pid, STOP_GRACE_SECONDS)
        # Sweep helpers left in the service's own group; ESRCH just means there are none.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait(timeout=STOP_GRACE_SECONDS)


def _log_tail(log_file: Path, max_lines: int = 20) -> str:
    lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
    return "\n".join(lines[-max_lines:]) or "<empty log>"


def _start_service(spec: ServiceSpec, log_dir: Path, timeout: float) -> ServiceState:
    log_file = log_dir / f"{spec.name}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            spec.command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=PROJECT_ROOT,
        )
    _CHILDREN[process.pid] = process
    try:
        reason = _wait_until_ready(spec, process, timeout)
    except BaseException:
        _stop_pid(process.pid)  # also on Ctrl-C while waiting: no orphan left behind
        raise
    if reason is None:
        return ServiceState(
            spec.name, process.pid, spec.port, spec.url, str(log_file), spec.command
        )
    _stop_pid(process.pid)
    raise StackStartError(
        f"service {spec.name!r} failed to start ({reason}); tail of {log_file}:\n"
        f"{_log_tail(log_file)}"
    )


def _wait_until_ready(
    spec: ServiceSpec, process: subprocess.Popen[bytes], timeout: float
) -> str | None:
    """Poll until ready; return why it never got there, or None once it is."""
    deadline = time.monotonic() + timeout
    while (exit_code := process.poll()) is None:
        if spec.is_ready():
            return None
        if time.monotonic() > deadline:
            return f"not ready after {timeout:.0f}s"
        time.sleep(POLL_INTERVAL_SECONDS)
    return f"exited with code {exit_code}"


# --- public API ----------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state_file(state_dir: Path) -> Path:
    return Path(state_dir) / "stack.json"


def load_state(state_dir: Path) -> StackState | None:
    path = _state_file(state_dir)
    return StackState.from_json(path.read_text()) if path.exists() else None


def _service_running(service: ServiceState) -> bool:
    return _pid_alive(service.pid) and _is_our_process(service.pid, service.command)


def _stop_all(services: list[ServiceState]) -> None:
    for service in reversed(services):
        # A dead pid, or one now running something else (pid reuse), is not ours to signal.
        if _service_running(service):
            _stop_pid(service.pid)


def up(config: StackConfig) -> StackState:
    """Start all services (or return the recorded stack if it is still fully alive).

    Raises DatasetMismatchError, before starting anything, when the lake under the state
    folder was built from another seed, scale or window than this stack would serve.
    """
    state_dir = Path(config.state_dir)
    origin = resolve_origin(
        config.state_dir, config.seed, config.scale, config.end_date, config.days
    )
    if (recorded := load_state(state_dir)) is not None:
        services = list(recorded.services.values())
        if len(services) == len(SERVICE_ORDER) and all(map(_service_running, services)):
            if recorded.origin != origin:
                raise DatasetMismatchError(
                    f"a local stack serving {recorded.origin.describe()} already runs from "
                    f"{state_dir}; stop it (`retail-platform stack down`) before starting one "
                    f"that serves {origin.describe()}."
                )
            return recorded
        down(state_dir)  # half-dead stack: start over cleanly

    log_dir = state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    requested = {
        S3: config.s3_port,
        SNOWFLAKE: config.snowflake_port,
        REST: config.rest_port,
        FX: None,
    }
    ports = {name: port or _free_port() for name, port in requested.items()}
    state = StackState(
        str(state_dir),
        config.seed,
        config.scale,
        config.s3_bucket,
        config.api_token,
        end_date=origin.end_date,
        days=origin.days,
        live_since=_now_iso() if config.live else "",
        live_interval_seconds=config.live_interval_seconds if config.live else 0,
    )
    try:
        specs = (
            build_service_specs(config, ports, origin, state.live_since)
            if config.live
            else build_service_specs(config, ports)
        )
        for spec in specs:
            state.services[spec.name] = _start_service(
                spec, log_dir, config.startup_timeout_seconds
            )
            if spec.name == S3:
                seed_s3_bucket(config, spec.url)
        _state_file(state_dir).write_text(state.to_json())
        record_lake_origin(state_dir, origin)  # whatever lands in the lake comes from this
    except BaseException:  # includes KeyboardInterrupt: never leave half a stack behind
        _stop_all(list(state.services.values()))
        raise
    return state


def down(state_dir: Path = DEFAULT_STATE_DIR) -> None:
    """Stop every recorded service and forget the stack; a no-op when none is recorded."""
    if (recorded := load_state(Path(state_dir))) is None:
        return
    _stop_all(list(recorded.services.values()))
    still_running = [svc.name for svc in recorded.services.values() if _service_running(svc)]
    if still_running:
        raise RuntimeError(f"could not stop services: {', '.join(still_running)}")
    _state_file(Path(state_dir)).unlink(missing_ok=True)


def status(state_dir: Path = DEFAULT_STATE_DIR) -> dict[str, dict[str, object]]:
    """Per service: whether it runs, and its pid, port, url and log file."""
    recorded = load_state(Path(state_dir))
    services = recorded.services.values() if recorded else []
    return {
        svc.name: {"running": _service_running(svc), "pid": svc.pid, "port": svc.port,
                   "url": svc.url, "log_file": svc.log_file}
        for svc in services
    }  # fmt: skip


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    # A plain SIGTERM would skip `finally`; turn it into SystemExit so teardown still runs.
    # Handlers can only be installed from the main thread; elsewhere leave SIGTERM alone.
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if on_main_thread else None
    try:
        yield
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def running_stack(config: StackConfig) -> Iterator[StackState]:
    """Bring the stack up for the block and always bring it down afterwards."""
    with _sigterm_as_exit():
        state = up(config)
        try:
            yield state
        finally:
            down(config.state_dir)
