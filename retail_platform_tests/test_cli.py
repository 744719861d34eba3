"""`retail-platform stack up/status/down` through `main()`, over stand-in services."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from retail_platform import cli
from retail_platform.local import stack
from retail_platform_tests.local.test_stack import (
    install_standins,
    process_gone,
    started_pids,  # noqa: F401 - fixture
)


@pytest.mark.integration
def test_stack_up_status_down(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    started_pids: list[int],  # noqa: F811 - fixture
) -> None:
    install_standins(monkeypatch)
    state_dir = str(tmp_path / "state")

    assert (
        cli.main(["stack", "up", "--state-dir", state_dir, "--seed", "7", "--scale", "0.05"]) == 0
    )
    up_output = capsys.readouterr().out
    assert "Local stack is up" in up_output and "local-dev-token" in up_output
    assert stack.load_state(Path(state_dir)).seed == 7

    assert cli.main(["stack", "status", "--state-dir", state_dir]) == 0
    status_lines = capsys.readouterr().out.splitlines()
    assert status_lines[0].split() == ["SERVICE", "STATE", "PID", "PORT", "URL"]
    rows = {line.split()[0]: line.split() for line in status_lines[1:]}
    assert set(rows) == {"s3", "snowflake", "rest", "fx"}
    assert all(
        row[1] == "running" and row[4].startswith("http://127.0.0.1:") for row in rows.values()
    )
    assert sorted(int(row[2]) for row in rows.values()) == sorted(started_pids)

    assert cli.main(["stack", "down", "--state-dir", state_dir]) == 0
    assert "down" in capsys.readouterr().out
    assert all(process_gone(pid) for pid in started_pids)
    assert not (Path(state_dir) / "stack.json").exists()

    assert cli.main(["stack", "status", "--state-dir", state_dir]) == 0
    assert "No local stack" in capsys.readouterr().out


def test_status_table_marks_stopped_services() -> None:
    table = cli.format_status_table(
        {"rest": {"running": False, "pid": 12, "port": 8081, "url": "http://127.0.0.1:8081"}}
    )
    assert table.splitlines()[1].split() == [
        "rest",
        "stopped",
        "12",
        "8081",
        "http://127.0.0.1:8081",
    ]


def test_failed_start_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_up(_config: stack.StackConfig) -> stack.StackState:
        raise stack.StackStartError("service 'rest' failed to start (exited with code 3)")

    monkeypatch.setattr(stack, "up", failing_up)
    assert cli.main(["stack", "up", "--state-dir", str(tmp_path)]) == 1
    assert "service 'rest' failed" in capsys.readouterr().err


def test_parser_has_a_registry_for_more_commands() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["stack", "down", "--state-dir", "/tmp/x"])
    assert args.handler is cli.handle_stack_down and args.state_dir == Path("/tmp/x")
    assert cli.register_stack in cli.COMMAND_REGISTRARS
    with pytest.raises(SystemExit):
        parser.parse_args([])
    assert isinstance(parser, argparse.ArgumentParser)
