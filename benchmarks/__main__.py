"""`python -m benchmarks` (what `make bench` runs): the benchmark's command line."""

from __future__ import annotations

import argparse
import sys

from benchmarks.cli import add_arguments, handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark the platform against DuckDB, pandas and PySpark.",
    )
    add_arguments(parser)
    return handle(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
