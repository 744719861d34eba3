"""The days the benchmark's data covers: a history for the full build, then one new day.

Kept apart from `datagen` (NumPy, Polars, the contracts) because every worker process reads it,
and a phase must import only what it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# The incremental day is fixed, the history reaches back from it: the same seed gives the same
# new day whatever the history length, and it lies before the local partitions' end (the
# clock's yesterday).
NEW_DAY = date(2026, 10, 31)
HISTORY_DAYS = 365  # the full build's days; the day after them is the incremental delivery
LATE_WINDOW_DAYS = 40  # late versions come for orders placed this many days before the new day


@dataclass(frozen=True)
class Window:
    """The days the data covers: `history_days` for the full build, then the new day."""

    history_days: int = HISTORY_DAYS
    late_window_days: int = LATE_WINDOW_DAYS
    new_day: date = NEW_DAY

    def __post_init__(self) -> None:
        if self.history_days < 1:
            raise ValueError(f"the history needs at least one day, got {self.history_days}")
        if not 1 <= self.late_window_days <= self.history_days:
            raise ValueError(
                f"the late-update window ({self.late_window_days} days) must be 1 to the "
                f"history's {self.history_days} days"
            )

    @property
    def first_day(self) -> date:
        return self.new_day - timedelta(days=self.history_days)

    @property
    def days(self) -> int:
        """Days generated: the history and the new day."""
        return self.history_days + 1

    @property
    def full_build_days(self) -> tuple[date, date]:
        """First and last day of the full build (inclusive)."""
        return self.first_day, self.new_day - timedelta(days=1)

    def seconds(self, day: date) -> int:
        """Epoch seconds at the start of `day` (UTC)."""
        return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


DEFAULT_WINDOW = Window()
