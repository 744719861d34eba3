"""The embedded data window: 13 calendar months that end yesterday.

The generator, the stand-ins, the local partitions and the demo all take their dates from
here, so a fresh `make dev` always has a full window of history that ends where the nightly
schedule takes over. Tests and demos pin the end with `RETAIL_PLATFORM_DATA_END` (or the CLI's
`--end-date`) so that the same seed and scale give the same bytes on any day.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

DATA_END_VARIABLE = "RETAIL_PLATFORM_DATA_END"
WINDOW_MONTHS = 13


def data_end_date(environ: Mapping[str, str] | None = None, now: datetime | None = None) -> date:
    """The last day of data: `RETAIL_PLATFORM_DATA_END` when set, else yesterday (UTC)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(DATA_END_VARIABLE, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{DATA_END_VARIABLE}={raw!r} is not a date; use YYYY-MM-DD") from None
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return today - timedelta(days=1)


def window_start(end_date: date, months: int = WINDOW_MONTHS) -> date:
    """The first day of the calendar month `months - 1` months before `end_date`'s month,
    so the window holds `months` calendar months (the last one up to `end_date`)."""
    month_index = end_date.year * 12 + end_date.month - 1 - (months - 1)
    return date(month_index // 12, month_index % 12 + 1, 1)


def window_days(end_date: date, months: int = WINDOW_MONTHS) -> int:
    return (end_date - window_start(end_date, months)).days + 1
