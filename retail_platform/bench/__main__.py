"""`python -m retail_platform.bench`: the same as `retail-platform bench`."""

from __future__ import annotations

import argparse
import sys

from retail_platform.bench.cli import add_arguments, handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_platform.bench")
    add_arguments(parser)
    return handle(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
