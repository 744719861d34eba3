"""The ``retail-platform`` command line.

Each top-level command registers itself in ``COMMAND_REGISTRARS``: a function that adds its
subparser and sets ``handler`` (a small function taking the parsed args, returning an exit code).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import dagster as dg

from retail_platform.environment import local_state_dir
from retail_platform.local import stack
from retail_platform.local.origin import DatasetMismatchError
from retail_platform.local.window import DATA_END_VARIABLE

Handler = Callable[[argparse.Namespace], int]


def _stack_config(args: argparse.Namespace) -> stack.StackConfig:
    return stack.StackConfig(
        state_dir=args.state_dir,
        seed=args.seed,
        scale=args.scale,
        end_date=args.end_date,
        days=args.days,
        live=getattr(args, "live", False),
        live_interval_seconds=getattr(args, "live_interval", 120),
    )


def _print_endpoints(state: stack.StackState) -> None:
    endpoints = state.endpoints
    print(f"REST      {endpoints.rest_base_url}  (token: {endpoints.api_token})")
    print(f"S3        {endpoints.s3_endpoint_url}  (bucket: {endpoints.s3_bucket})")
    print(f"Snowflake {endpoints.snowflake_host}:{endpoints.snowflake_port}")


def handle_stack_up(args: argparse.Namespace) -> int:
    state = stack.up(_stack_config(args))
    print(f"Local stack is up (state in {state.state_dir}).")
    _print_endpoints(state)
    return 0


def handle_stack_down(args: argparse.Namespace) -> int:
    stack.down(args.state_dir)
    print("Local stack is down.")
    return 0


def format_status_table(services: dict[str, dict[str, object]]) -> str:
    header = ("SERVICE", "STATE", "PID", "PORT", "URL")
    rows = [
        (name, "running" if info["running"] else "stopped", info["pid"], info["port"], info["url"])
        for name, info in services.items()
    ]
    cells = [[str(value) for value in row] for row in [header, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def handle_stack_status(args: argparse.Namespace) -> int:
    services = stack.status(args.state_dir)
    if not services:
        print(f"No local stack recorded in {args.state_dir}.")
        return 0
    print(format_status_table(services))
    # Non-zero when something recorded is no longer running, so scripts can react.
    return 0 if all(info["running"] for info in services.values()) else 1


def _add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=local_state_dir(),
        help="where stack.json, logs and the warehouse live (default: %(default)s)",
    )


def register_stack(subparsers: argparse._SubParsersAction) -> None:
    stack_parser = subparsers.add_parser("stack", help="manage the local stand-in services")
    actions = stack_parser.add_subparsers(dest="stack_command", required=True)

    up_parser = actions.add_parser("up", help="start S3, Snowflake and REST stand-ins")
    _add_data_options(up_parser)
    _add_live_options(up_parser)
    up_parser.set_defaults(handler=handle_stack_up)

    down_parser = actions.add_parser("down", help="stop the recorded stack")
    _add_state_dir(down_parser)
    down_parser.set_defaults(handler=handle_stack_down)

    status_parser = actions.add_parser("status", help="show services, pids, ports and URLs")
    _add_state_dir(status_parser)
    status_parser.set_defaults(handler=handle_stack_status)


def handle_demo(args: argparse.Namespace) -> int:
    from retail_platform.local.demo import run_demo

    run_demo(_stack_config(args))
    return 0


def handle_dev(args: argparse.Namespace) -> int:
    from retail_platform.local.dev import run_dev

    return run_dev(_stack_config(args), port=args.port)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=42, help="data generator seed")
    parser.add_argument("--scale", type=float, default=1.0, help="data volume factor")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of the generated data (default: the lake's, else yesterday or "
        f"${DATA_END_VARIABLE})",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="days of generated data up to the end date (default: 13 calendar months)",
    )
    _add_state_dir(parser)


def register_demo(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="start the stack, materialize everything, print KPIs, stop the stack"
    )
    _add_data_options(demo)
    demo.set_defaults(handler=handle_demo)


def register_dev(subparsers: argparse._SubParsersAction) -> None:
    dev = subparsers.add_parser("dev", help="start the stack and `dagster dev` together")
    _add_data_options(dev)
    dev.add_argument("--port", type=int, default=3000, help="Dagster UI port")
    _add_live_options(dev)
    dev.set_defaults(handler=handle_dev)


def _add_live_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--live",
        action="store_true",
        help="keep the stand-ins producing orders, payments, customer changes and partner "
        "files, and start the schedules, the S3 sensor and the automation in Dagster",
    )
    parser.add_argument(
        "--live-interval", type=int, default=120, help="seconds between live batches"
    )


def handle_live_stop(args: argparse.Namespace) -> int:
    from retail_platform.local.live_source import stop_live_flow

    try:
        state = stop_live_flow(args.state_dir)
    except RuntimeError as error:  # no live stack recorded there
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Live flow stopped at {state.live_stopped_at}: the stand-ins release no more data. "
        "The stack keeps serving what arrived; `retail-platform stack down` (or Ctrl-C in "
        "`make dev`) stops it."
    )
    return 0


def register_live(subparsers: argparse._SubParsersAction) -> None:
    live = subparsers.add_parser("live", help="control the live data flow of `dev --live`")
    actions = live.add_subparsers(dest="live_command", required=True)
    stop = actions.add_parser("stop", help="stop releasing new data into the stand-ins")
    _add_state_dir(stop)
    stop.set_defaults(handler=handle_live_stop)


def handle_powerbi(args: argparse.Namespace) -> int:
    import os
    from dataclasses import replace

    from retail_platform.contracts.gold import GOLD_TABLES
    from retail_platform.powerbi.model import build_semantic_model, connection_from_environment
    from retail_platform.powerbi.project import write_project

    overrides = {
        field: value
        for field in ("server", "warehouse", "role", "database", "schema")
        if (value := getattr(args, field)) is not None
    }
    connection = replace(connection_from_environment(os.environ), **overrides)
    model = build_semantic_model(GOLD_TABLES, connection, name=args.name)
    pbip = write_project(model, args.out)
    for problem in model.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"Power BI project written: open {pbip} in Power BI Desktop.")
    print(
        f"Snowflake: server {connection.server}, warehouse {connection.warehouse}, "
        f"role {connection.role}, {connection.database}.{connection.schema} "
        "(Transform data > Edit parameters to change them)."
    )
    return 0


def register_powerbi(subparsers: argparse._SubParsersAction) -> None:
    powerbi = subparsers.add_parser(
        "powerbi", help="generate the Power BI project (PBIP, TMDL) from the gold schema"
    )
    powerbi.add_argument(
        "--out",
        type=Path,
        default=local_state_dir() / "powerbi",
        help="output folder (default: %(default)s)",
    )
    powerbi.add_argument("--name", default="Retail", help="project name (default: %(default)s)")
    powerbi.add_argument("--server", help="Snowflake host (default: $SNOWFLAKE_ACCOUNT...)")
    powerbi.add_argument("--warehouse", help="warehouse for BI queries")
    powerbi.add_argument("--role", help="Snowflake role (default: RETAIL_BI_READER)")
    powerbi.add_argument("--database", help="database (default: RETAIL)")
    powerbi.add_argument("--schema", help="schema (default: GOLD)")
    powerbi.set_defaults(handler=handle_powerbi)


COMMAND_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    register_stack,
    register_demo,
    register_dev,
    register_live,
    register_powerbi,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retail-platform", description="Retail lakehouse platform tools."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in COMMAND_REGISTRARS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Dagster flags beta parameters on every load; the CLI's users cannot act on that.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (stack.StackStartError, DatasetMismatchError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
