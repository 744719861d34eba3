from datetime import date

import polars as pl
import pytest

from retail_platform.resources.lake_guards import values_predicate, window_predicate


def test_values_predicate_lists_the_values_typed_and_sorted() -> None:
    frame = pl.DataFrame({"date_key": [20261002, 20261001]})

    got = values_predicate("gold.fact", frame, "date_key", [20261002, 20261001, 20261002])

    assert got == "date_key IN (20261001, 20261002)"


def test_values_predicate_quotes_text_and_is_none_without_values() -> None:
    assert values_predicate("s.t", pl.DataFrame({"k": ["it's"]}), "k", ["it's"]) == (
        "k IN ('it''s')"
    )
    assert (
        values_predicate("s.t", pl.DataFrame({"k": []}, schema={"k": pl.String}), "k", []) is None
    )


def test_values_predicate_refuses_a_row_outside_the_values_naming_the_table() -> None:
    frame = pl.DataFrame({"k": ["a", "b", None]})

    with pytest.raises(ValueError, match=r"silver\.t: 2 rows have a k outside the 1 values"):
        values_predicate("silver.t", frame, "k", ["a"])


def test_window_predicate_is_half_open_and_refuses_rows_outside() -> None:
    inside = pl.DataFrame({"_partition_date": [date(2026, 10, 1), date(2026, 10, 2)]})

    got = window_predicate(
        "bronze.o", inside, "_partition_date", date(2026, 10, 1), date(2026, 10, 3)
    )

    assert got == "_partition_date >= '2026-10-01' AND _partition_date < '2026-10-03'"
    late = pl.DataFrame({"_partition_date": [date(2026, 10, 3), None]})
    with pytest.raises(ValueError, match=r"bronze\.o: 2 rows fall outside the partition window"):
        window_predicate("bronze.o", late, "_partition_date", date(2026, 10, 1), date(2026, 10, 3))
