"""`python -m benchmarks` (`make bench`): run it, write docs/benchmarks.md, print the targets."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.harness import (
    ENGINES,
    HEAVY_PEERS,
    HEAVY_PEERS_ABOVE_SCALE,
    PROJECT_ROOT,
    BenchmarkError,
    BenchOptions,
    default_engines,
)
from benchmarks.window import HISTORY_DAYS, LATE_WINDOW_DAYS

DEFAULT_REPORT = PROJECT_ROOT / "docs" / "benchmarks.md"


def _engines(text: str) -> tuple[str, ...]:
    engines = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or "polars" not in engines:
        raise argparse.ArgumentTypeError(
            f"engines are a comma list of {', '.join(ENGINES)} including polars (the platform); "
            f"unknown: {', '.join(unknown) or 'none'}"
        )
    return engines


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"needs at least 1 day, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale-factor", "--sf", type=float, default=1.0, help="SF1 = ~1M order lines"
    )
    parser.add_argument("--seed", type=int, default=42, help="data generator seed")
    parser.add_argument(
        "--history-days",
        type=_positive,
        default=HISTORY_DAYS,
        help="days of history of the full build, the same rows whatever their count; the "
        "incremental run adds the day after (default: %(default)s)",
    )
    parser.add_argument(
        "--late-window-days",
        type=_positive,
        default=LATE_WINDOW_DAYS,
        help="the new day's late updates are to orders placed this many days before it, at "
        "most the history (default: %(default)s)",
    )
    parser.add_argument(
        "--engines",
        type=_engines,
        default=None,
        help=f"comma list of gold-build engines (default: {','.join(ENGINES)}; above SF"
        f"{HEAVY_PEERS_ABOVE_SCALE:g} without {', '.join(HEAVY_PEERS)}, which do not fit one "
        "machine's memory or time there)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="gold builds per engine")
    parser.add_argument(
        "--no-warehouse", action="store_true", help="skip the Snowflake (fakesnow) layer"
    )
    parser.add_argument(
        "--source-scale",
        type=float,
        default=0.25,
        help="local generator scale of the sources sample over the local stack; 0 skips it",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=PROJECT_ROOT / ".local" / "bench",
        help="scratch folder, emptied first (default: %(default)s)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=DEFAULT_REPORT,
        help="markdown report to update (default: %(default)s)",
    )
    parser.add_argument("--no-report", action="store_true", help="do not write the report")
    parser.add_argument(
        "--phase-timeout", type=float, default=3600.0, help="seconds before a phase is stopped"
    )


def handle(args: argparse.Namespace) -> int:
    from benchmarks.harness import run_benchmark
    from benchmarks.report import write_report
    from benchmarks.summary import targets

    try:
        options = BenchOptions(
            scale_factor=args.scale_factor,
            work_dir=args.work_dir,
            seed=args.seed,
            history_days=args.history_days,
            late_window_days=args.late_window_days,
            engines=args.engines or default_engines(args.scale_factor),
            repeats=args.repeats,
            warehouse=not args.no_warehouse,
            source_scale=args.source_scale,
            phase_timeout_seconds=args.phase_timeout,
        )
    except ValueError as error:  # e.g. a late-update window longer than the history
        print(f"error: {error}")
        return 2
    try:
        results = run_benchmark(options)
    except BenchmarkError as error:
        print(f"error: {error}")
        return 1
    print()
    for target in targets(results):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target.met]
        print(f"  {target.name:<30} goal {target.goal:<22} {target.measured:<40} {verdict}")
    if not args.no_report:
        write_report(results, args.report)
        print(f"Report written to {args.report}")
    return 0
