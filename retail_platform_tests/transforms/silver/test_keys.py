"""How each silver key is read from bronze text: the readers validation and incremental share."""

from datetime import date

import polars as pl

from retail_platform.transforms.silver.keys import INVENTORY_KEY, PARTNER_SALES_KEY, read_key


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
