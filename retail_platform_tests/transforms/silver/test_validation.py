from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from retail_platform.transforms.silver.validation import (
    join_reasons,
    parse_date,
    parse_flag,
    parse_integer,
    parse_money,
    parse_timestamp,
    quoted,
)


def parse(expression: pl.Expr, values: list[str | None]) -> list[object]:
    frame = pl.DataFrame({"value": values}, schema={"value": pl.String})
    return frame.select(expression.alias("parsed"))["parsed"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-31T10:00:00Z", datetime(2026, 10, 31, 10, 0, tzinfo=UTC)),
        ("2026-10-31T10:00:00.250Z", datetime(2026, 10, 31, 10, 0, 0, 250_000, tzinfo=UTC)),
        ("2026-10-31T12:00:00+02:00", datetime(2026, 10, 31, 10, 0, tzinfo=UTC)),
        ("2026-10-31T12:00:00+0200", datetime(2026, 10, 31, 10, 0, tzinfo=UTC)),
        ("2026-10-31 10:00:00", datetime(2026, 10, 31, 10, 0, tzinfo=UTC)),  # no offset: UTC
        ("2026-10-31T10:00Z", datetime(2026, 10, 31, 10, 0, tzinfo=UTC)),
        ("31/10/2026 10:00", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-10-31", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(text: str | None, expected: datetime | None) -> None:
    assert parse(parse_timestamp(pl.col("value")), [text]) == [expected]


def test_parse_timestamp_reads_the_plain_utc_form_and_others_in_one_column() -> None:
    # The plain form (what the sources write) has its own fast reading; every other value
    # in the same column, or a plain-looking one it cannot read, goes the general way.
    ten = datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
    values = [
        "2026-10-31T10:00:00Z",
        " 2026-10-31T10:00:00Z",
        "2026-10-31T10:00:00z",
        "2026-02-29T10:00:00Z",  # 2026 is not a leap year
        "2026-10-31T12:00:00+02:00",
        "2026-10-31T10:00:07Z",
        None,
    ]

    assert parse(parse_timestamp(pl.col("value")), values) == [
        ten,
        ten,
        ten,
        None,
        ten,
        datetime(2026, 10, 31, 10, 0, 7, tzinfo=UTC),
        None,
    ]


def test_parse_money_rounds_half_up_to_cents_exactly() -> None:
    values = ["1.005", "2.675", "19.99", "1e2", "0.004", "abc", "1e20", None]

    parsed = parse(parse_money(pl.col("value")), values)

    assert parsed == [
        Decimal("1.01"),
        Decimal("2.68"),
        Decimal("19.99"),
        Decimal("100.00"),
        Decimal("0.00"),
        None,
        None,  # does not fit Decimal(18, 2)
        None,
    ]


def test_parse_integer_and_flag() -> None:
    assert parse(parse_integer(pl.col("value")), ["2", " 3 ", "2.5", "two", "99999999999"]) == [
        2,
        3,
        None,
        None,
        None,
    ]
    assert parse(parse_flag(pl.col("value")), ["true", "FALSE", "1", "0", "yes", None]) == [
        True,
        False,
        True,
        False,
        None,
        None,
    ]


def test_join_reasons_is_null_when_nothing_broke() -> None:
    frame = pl.DataFrame({"a": ["x: bad", None], "b": ["y: bad", None]})

    reasons = frame.select(join_reasons([pl.col("a"), pl.col("b")]).alias("reason"))

    assert reasons["reason"].to_list() == ["x: bad; y: bad", None]


def test_parse_date_accepts_only_plain_iso_dates() -> None:
    values = [
        "2024-03-01",
        " 2024-03-01 ",
        "2024-02-30",
        "01/03/2024",
        "2024-03-01T00:00:00Z",
        None,
    ]

    assert parse(parse_date(pl.col("value")), values) == [
        date(2024, 3, 1),
        date(2024, 3, 1),
        None,  # no such day
        None,
        None,  # a timestamp is not a date
        None,
    ]


def test_quoted_values_are_cut_to_keep_messages_readable() -> None:
    assert parse(quoted(pl.col("value")), ["a" * 81]) == ["'" + "a" * 80 + "...'"]
