import argparse

import pytest

from benchmarks.cli import add_arguments


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_a_year_of_history_and_a_40_day_late_window_by_default() -> None:
    args = _parse()

    assert (args.history_days, args.late_window_days) == (365, 40)


def test_history_and_late_window_are_whole_positive_days() -> None:
    args = _parse("--history-days", "90", "--late-window-days", "14")

    assert (args.history_days, args.late_window_days) == (90, 14)
    for wrong in ("0", "-3", "1.5"):
        with pytest.raises(SystemExit):
            _parse("--history-days", wrong)


def test_every_peer_runs_up_to_sf3_and_the_heavy_ones_are_left_out_above() -> None:
    from benchmarks.harness import default_engines

    assert _parse().engines is None  # resolved from the scale factor
    assert default_engines(1) == ("polars", "duckdb", "pandas", "pyspark")
    assert default_engines(3) == ("polars", "duckdb", "pandas", "pyspark")
    assert default_engines(10) == ("polars", "duckdb")


def test_engines_given_are_run_whatever_the_scale() -> None:
    assert _parse("--sf", "10", "--engines", "polars,pandas").engines == ("polars", "pandas")
    with pytest.raises(SystemExit):
        _parse("--engines", "duckdb")  # the platform is always measured
