"""How each silver key is read from bronze text: the readers validation and incremental share."""

from datetime import date

import polars as pl

from retail_platform.transforms.silver.keys import (
    INVENTORY_KEY,
    PARTNER_SALES_KEY,
    among,
    read_key,
    rows_with_keys,
)


def test_invoice_numbers_are_trimmed_and_upper_cased() -> None:
    frame = pl.DataFrame({"invoice_no": [" c536365", "C536365 ", "  ", None]})

    read = frame.select(read_key("invoice_no", PARTNER_SALES_KEY)).to_series().to_list()

    assert read == ["C536365", "C536365", None, None]


def test_snapshot_dates_are_parsed_and_other_key_columns_trimmed() -> None:
    frame = pl.DataFrame(
        {"snapshot_date": [" 2026-10-01 ", "01/10/2026"], "sku": [" SKU-1", "SKU-1\t"]}
    )

    read = frame.select(read_key("snapshot_date", INVENTORY_KEY), read_key("sku", INVENTORY_KEY))

    assert read.rows() == [(date(2026, 10, 1), "SKU-1"), (None, "SKU-1")]


def test_a_column_without_a_reader_is_trimmed_text() -> None:
    frame = pl.DataFrame({"order_id": [" O1 ", ""]})

    assert frame.select(read_key("order_id")).to_series().to_list() == ["O1", None]


def test_rows_with_keys_finds_exactly_the_rows_of_the_keys() -> None:
    frame = pl.LazyFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4", None],
            "line_number": [1, 1, 2, 1, 1],
            "value": [10, 20, 30, 40, 50],
        }
    )
    # O2 and O4 bound a range that holds O3 too: the range only narrows, is_in decides.
    single = rows_with_keys(frame, pl.DataFrame({"order_id": ["O4", "O2", None]}), ["order_id"])
    assert sorted(single.collect().get_column("value").to_list()) == [20, 40]
    # Composite: (O3, 1) is no row, although O3 and line 1 each are.
    keys = pl.DataFrame({"order_id": ["O3", "O1"], "line_number": [1, 1]})
    both = rows_with_keys(frame, keys, ["order_id", "line_number"])
    assert both.collect().get_column("value").to_list() == [10]


def test_rows_with_keys_of_only_null_keys_finds_none() -> None:
    frame = pl.LazyFrame({"order_id": ["O1", None]})
    keys = pl.DataFrame({"order_id": [None]}, schema={"order_id": pl.String})
    assert rows_with_keys(frame, keys, ["order_id"]).collect().is_empty()


def test_among_selects_what_is_in_selects_kept_or_negated() -> None:
    frame = pl.DataFrame({"_batch_id": ["b1", "b2", "b3", None, "b5"]})
    batches = pl.Series("_batch_id", ["b3", "b1"])
    # b2 lies in the range b1..b3 but is not a batch read.
    assert frame.filter(among(batches)).get_column("_batch_id").to_list() == ["b1", "b3"]
    # Negated, the null batch stays out (as with ~is_in) and every other row is kept.
    assert frame.filter(~among(batches)).get_column("_batch_id").to_list() == ["b2", "b5"]
    none = pl.Series("_batch_id", [], pl.String)
    assert frame.filter(among(none)).is_empty()
