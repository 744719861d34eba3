"""The local stack over real processes.

Most tests run the real ``moto_server`` but small stand-in HTTP servers for Snowflake and REST,
so the process handling is tested quickly and independently of those modules; one test runs
the real stack once its modules exist.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from retail_platform.local import stack

pytestmark = pytest.mark.integration

SMALL_SCALE = 0.05
STANDIN_KEY = "standin/seeded.csv"

# Answers 200 to every GET (so also /health) on the port after --port.
STANDIN_SERVER = """
import http.server, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def standin_command(port: int) -> list[str]:
    return [sys.executable, "-c", STANDIN_SERVER, "--port", str(port)]


def s3_client(endpoint_url: str) -> Any:  # boto3 clients have no static type
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def seed_standin_bucket(config: stack.StackConfig, endpoint_url: str) -> list[str]:
    client = s3_client(endpoint_url)
    client.create_bucket(Bucket=config.s3_bucket)
    client.put_object(Bucket=config.s3_bucket, Key=STANDIN_KEY, Body=b"id\n1\n")
    return [STANDIN_KEY]


def install_standins(
    monkeypatch: pytest.MonkeyPatch, commands: dict[str, list[str]] | None = None
) -> None:
    """Real moto; stand-ins (or the given commands) for Snowflake and REST; a tiny seeder."""
    real_specs = stack.build_service_specs

    def specs_with_standins(
        config: stack.StackConfig, ports: dict[str, int]
    ) -> list[stack.ServiceSpec]:
        replaced = {stack.SNOWFLAKE: None, stack.REST: None, **(commands or {})}
        return [
            dataclasses.replace(spec, command=replaced[spec.name] or standin_command(spec.port))
            if spec.name in replaced
            else spec
            for spec in real_specs(config, ports)
        ]

    monkeypatch.setattr(stack, "build_service_specs", specs_with_standins)
    monkeypatch.setattr(stack, "seed_s3_bucket", seed_standin_bucket)


def process_gone(pid: int) -> bool:
    """Gone, or a zombie: orphans here are reparented to an init that does not reap them."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat_file = Path(f"/proc/{pid}/stat")
    return not stat_file.exists() or stat_file.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def live_processes_in_sessions(session_ids: set[int]) -> list[int]:
    """Any live process in a session we created (a service or something it spawned)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in session_ids and fields[0] != "Z":
            found.append(int(entry.name))
    return found


class _RecordingChildren(dict):
    """Stands in for stack._CHILDREN to note every pid the stack starts."""

    def __init__(self, started: list[int]) -> None:
        super().__init__()
        self.started = started

    def __setitem__(self, pid: int, process: subprocess.Popen[bytes]) -> None:
        self.started.append(pid)
        super().__setitem__(pid, process)


@pytest.fixture
def started_pids(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Records every service pid started in this test and asserts none outlives it."""
    pids: list[int] = []
    monkeypatch.setattr(stack, "_CHILDREN", _RecordingChildren(pids))
    yield pids
    leftovers = live_processes_in_sessions(set(pids))
    for pid in leftovers:  # clean up before failing, so one failure does not leak into others
        os.kill(pid, signal.SIGKILL)
    assert leftovers == []


@pytest.fixture
def config(tmp_path: Path) -> stack.StackConfig:
    return stack.StackConfig(
        state_dir=tmp_path / "state", scale=SMALL_SCALE, startup_timeout_seconds=30
    )


def assert_endpoints_answer(state: stack.StackState, expected_key: str | None) -> None:
    endpoints = state.endpoints
    listing = s3_client(endpoints.s3_endpoint_url).list_objects_v2(Bucket=endpoints.s3_bucket)
    keys = [item["Key"] for item in listing.get("Contents", [])]
    assert keys, "S3 bucket was not seeded"
    if expected_key is not None:
        assert expected_key in keys
    assert httpx.get(f"{endpoints.rest_base_url}/health", timeout=5).status_code == 200
    with socket.create_connection((endpoints.snowflake_host, endpoints.snowflake_port), timeout=5):
        pass


def assert_down(config: stack.StackConfig, pids: list[int]) -> None:
    stack.down(config.state_dir)
    assert not (config.state_dir / "stack.json").exists()
    assert all(process_gone(pid) for pid in pids)
    assert stack.status(config.state_dir) == {}


def test_up_status_down(
    monkeypatch: pytest.MonkeyPatch, config: stack.StackConfig, started_pids: list[int]
) -> None:
    install_standins(monkeypatch)
    state = stack.up(config)

    services = stack.status(config.state_dir)
    assert set(services) == {stack.S3, stack.SNOWFLAKE, stack.REST, stack.FX}
    assert all(info["running"] for info in services.values())
    assert sorted(info["pid"] for info in services.values()) == sorted(started_pids)
    recorded = json.loads((config.state_dir / "stack.json").read_text())
    assert recorded["seed"] == 42 and recorded["s3_bucket"] == "retail-partner-drops"
    assert stack.load_state(config.state_dir) == state
    assert state.endpoints.api_token == stack.LOCAL_ONLY_API_TOKEN
    assert_endpoints_answer(state, STANDIN_KEY)
    assert (config.state_dir / "logs" / "s3.log").exists()

    assert_down(config, started_pids)


def test_up_twice_is_idempotent(
    monkeypatch: pytest.MonkeyPatch, config: stack.StackConfig, started_pids: list[int]
) -> None:
    install_standins(monkeypatch)
    first = stack.up(config)
    second = stack.up(config)
    assert second == first
    assert len(started_pids) == 4
    assert_down(config, started_pids)


def test_up_restarts_a_half_dead_stack(
    monkeypatch: pytest.MonkeyPatch, config: stack.StackConfig, started_pids: list[int]
) -> None:
    install_standins(monkeypatch)
    first = stack.up(config)
    stack._stop_pid(first.services[stack.REST].pid)
    assert stack.status(config.state_dir)[stack.REST]["running"] is False

    second = stack.up(config)
    assert second.services[stack.S3].pid != first.services[stack.S3].pid
    assert all(info["running"] for info in stack.status(config.state_dir).values())
    assert_down(config, started_pids)


def test_failing_service_names_itself_and_stops_the_others(
    monkeypatch: pytest.MonkeyPatch, config: stack.StackConfig, started_pids: list[int]
) -> None:
    crash = [sys.executable, "-c", "import sys; print('simulator exploded'); sys.exit(3)"]
    install_standins(monkeypatch, {stack.REST: crash})

    with pytest.raises(stack.StackStartError) as error:
        stack.up(config)

    message = str(error.value)
    assert "'rest'" in message and "code 3" in message and "simulator exploded" in message
    assert len(started_pids) == 3
    assert all(process_gone(pid) for pid in started_pids)
    assert not (config.state_dir / "stack.json").exists()


def test_service_never_ready_times_out_and_is_stopped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started_pids: list[int]
) -> None:
    silent = [sys.executable, "-c", "import time; time.sleep(60)"]
    install_standins(monkeypatch)
    real_specs = stack.build_service_specs  # the stand-in specs: make S3 never answer
    monkeypatch.setattr(
        stack,
        "build_service_specs",
        lambda config, ports: [
            dataclasses.replace(spec, command=silent) if spec.name == stack.S3 else spec
            for spec in real_specs(config, ports)
        ],
    )
    config = stack.StackConfig(state_dir=tmp_path, startup_timeout_seconds=1)

    with pytest.raises(stack.StackStartError, match=r"'s3'.*not ready after 1s"):
        stack.up(config)
    assert all(process_gone(pid) for pid in started_pids)


def test_running_stack_tears_down_on_exception(
    monkeypatch: pytest.MonkeyPatch, config: stack.StackConfig, started_pids: list[int]
) -> None:
    install_standins(monkeypatch)
    with pytest.raises(KeyboardInterrupt), stack.running_stack(config) as state:
        assert_endpoints_answer(state, STANDIN_KEY)
        raise KeyboardInterrupt
    assert all(process_gone(pid) for pid in started_pids)
    assert not (config.state_dir / "stack.json").exists()


def test_stop_escalates_to_sigkill(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stack, "STOP_GRACE_SECONDS", 0.5)
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
         "time.sleep(60)"],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    stack._CHILDREN[stubborn.pid] = stubborn
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    stack._stop_pid(stubborn.pid)
    assert stubborn.returncode == -9
    stubborn.stdout.close()


def test_down_leaves_a_reused_pid_alone(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        service = stack.ServiceState(
            name=stack.REST,
            pid=stranger.pid,
            port=1,
            url="http://127.0.0.1:1",
            log_file=str(tmp_path / "rest.log"),
            command=[sys.executable, "-m", "retail_platform.local.rest_simulator"],
        )
        state = stack.StackState(str(tmp_path), 42, 1.0, "bucket", "token", {"rest": service})
        (tmp_path / "stack.json").write_text(state.to_json())

        assert stack.status(tmp_path)["rest"]["running"] is False
        stack.down(tmp_path)
        assert stranger.poll() is None, "down() signalled a process that is not ours"
        assert not (tmp_path / "stack.json").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_down_and_status_without_a_stack(tmp_path: Path) -> None:
    stack.down(tmp_path / "nothing")
    assert stack.status(tmp_path / "nothing") == {}
    assert not (tmp_path / "nothing").exists()


def test_down_from_another_process_stops_orphaned_services(tmp_path: Path) -> None:
    """Like `stack up` in one shell and `stack down` in another: the services aren't our kids."""
    starter = (
        "import sys, pytest\n"
        "from pathlib import Path\n"
        "from retail_platform.local import stack\n"
        "from retail_platform_tests.local.test_stack import install_standins\n"
        "with pytest.MonkeyPatch.context() as patch:\n"
        "    install_standins(patch)\n"
        "    stack.up(stack.StackConfig(state_dir=Path(sys.argv[1])))\n"
    )
    root = Path(stack.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", starter, str(tmp_path)], check=True, cwd=root)
    pids = [info["pid"] for info in stack.status(tmp_path).values()]
    try:
        assert len(pids) == 4
        assert all(info["running"] for info in stack.status(tmp_path).values())
        stack.down(tmp_path)
        assert all(process_gone(pid) for pid in pids)
        assert live_processes_in_sessions(set(pids)) == []
    finally:
        for pid in live_processes_in_sessions(set(pids)):
            os.kill(pid, signal.SIGKILL)


def test_real_stack_up_status_down(config: stack.StackConfig, started_pids: list[int]) -> None:
    # How long this takes is for `make bench` to report; here each service must answer.
    state = stack.up(config)
    assert all(info["running"] for info in stack.status(config.state_dir).values())
    assert_endpoints_answer(state, expected_key=None)
    assert (config.state_dir / "warehouse").is_dir()
    assert_down(config, started_pids)
