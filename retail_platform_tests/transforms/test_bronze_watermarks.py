"""Parsing bronze timestamps and finding where an incremental read resumes."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from retail_platform.transforms.bronze_watermarks import (
    parse_timestamp,
    rows_at_watermark,
    rows_before,
)


def test_timestamps_parse_with_z_offsets_and_fractions_and_garbage_is_null() -> None:
    frame = pl.DataFrame(
        {"t": ["2026-10-03T14:05:09Z", "2026-10-03T16:05:09.5+02:00", "03/10/2026 14:05", None]}
    )

    parsed = frame.select(parse_timestamp("t")).to_series().to_list()

    assert parsed == [
        datetime(2026, 10, 3, 14, 5, 9, tzinfo=UTC),
        datetime(2026, 10, 3, 14, 5, 9, 500000, tzinfo=UTC),
        None,
        None,
    ]


def test_the_watermark_rows_are_those_at_the_latest_instant_by_time_not_by_text() -> None:
    rows = pl.LazyFrame(
        {
            "updated_at": [
                "2026-10-03T14:05:09Z", "2026-10-03T16:05:10+02:00", "zz", "2026-10-03T14:05:10Z"
            ],
            "_source_key": ["c/1", "c/2", "c/3", "c/4"],
        }
    )  # fmt: skip

    at = rows_at_watermark(rows).collect()

    assert at.select("_source_key", "_watermark").rows() == [
        ("c/2", datetime(2026, 10, 3, 14, 5, 10, tzinfo=UTC)),
        ("c/4", datetime(2026, 10, 3, 14, 5, 10, tzinfo=UTC)),
    ]


def test_rows_before_keeps_earlier_and_unplaceable_rows() -> None:
    rows = pl.LazyFrame(
        {"updated_at": ["2026-10-03T10:00:00Z", "2026-10-03T12:00:00Z", "soon", None]}
    )

    kept = rows_before(rows, datetime(2026, 10, 3, 12, tzinfo=UTC)).collect()

    assert kept.get_column("updated_at").to_list() == ["2026-10-03T10:00:00Z", "soon", None]
