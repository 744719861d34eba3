from datetime import date
from decimal import Decimal

import polars as pl

from benchmarks.equality import compare_table

REFERENCE = pl.DataFrame(
    {
        "date_key": pl.Series([20261001, 20261002], dtype=pl.Int32),
        "date": [date(2026, 10, 1), date(2026, 10, 2)],
        "revenue": pl.Series([Decimal("10.50"), Decimal("0.00")], dtype=pl.Decimal(18, 2)),
    }
)


def test_same_rows_in_another_order_and_wider_types_are_equal() -> None:
    candidate = pl.DataFrame(
        {
            "revenue": pl.Series([Decimal("0.00"), Decimal("10.50")], dtype=pl.Decimal(38, 2)),
            "date": [date(2026, 10, 2), date(2026, 10, 1)],
            "date_key": [20261002, 20261001],
        }
    )

    assert compare_table(REFERENCE, candidate, ("date_key",)) == ""


def test_one_cent_off_is_a_difference() -> None:
    candidate = REFERENCE.with_columns(
        pl.Series("revenue", [Decimal("10.51"), Decimal("0.00")], dtype=pl.Decimal(18, 2))
    )

    assert "revenue" in compare_table(REFERENCE, candidate, ("date_key",))


def test_missing_column_and_missing_row_are_named() -> None:
    assert "missing ['revenue']" in compare_table(
        REFERENCE, REFERENCE.drop("revenue"), ("date_key",)
    )
    assert compare_table(REFERENCE, REFERENCE.head(1), ("date_key",)) == "1 rows, expected 2"
