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
