"""The partner feed profiles: the shipped file validates, entries merge over the default,
and a wrong entry fails the load naming the partner and the field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from retail_platform.assets.bronze.s3 import bronze_partner_sales
from retail_platform.feeds.profiles import (
    PROFILES_PATH,
    FeedProfileError,
    load_profiles,
    parse_profiles,
)

DEFAULT: dict[str, Any] = {
    "description": "d",
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal_separator": ".",
    "date_formats": "auto",
    "currency": "EUR",
    "cancellation_prefix": "C",
    "columns": {"invoice_no": ["InvoiceNo"], "quantity": ["Quantity"]},
}


def _document(**partners: Any) -> dict[str, Any]:
    return {"version": 1, "default": DEFAULT, "partners": partners}


def test_the_shipped_profiles_validate_and_every_entry_is_complete() -> None:
    profiles = load_profiles()
    raw = yaml.safe_load(PROFILES_PATH.read_text())

    assert set(profiles.partners) == set(raw["partners"])
    us = profiles.for_partner("US-RETAIL-1997")
    assert (us.currency, us.cancellation_prefix, us.date_formats) == ("USD", None, "auto")
    assert us.columns["invoice_no"] == ("InvoiceNo", "Invoice", "TransactionID")
    assert us.columns["stock_code"] == ("StockCode",)  # from the default
    eu = profiles.for_partner("EU-DAYFIRST-01")
    assert (eu.delimiter, eu.encoding, eu.decimal_separator) == (";", "latin-1", ",")


def test_a_partner_without_an_entry_gets_the_default_under_its_own_id() -> None:
    profiles = parse_profiles(_document(P1={"currency": "USD"}))

    other = profiles.for_partner("P9")

    assert other.partner_id == "P9"
    assert other.model_dump(exclude={"partner_id"}) == profiles.default.model_dump(
        exclude={"partner_id"}
    )
    assert profiles.for_partner("P1").currency == "USD"
    assert profiles.for_partner("P1").cancellation_prefix == "C"


def test_columns_merge_column_by_column_and_null_prefix_means_none() -> None:
    profile = parse_profiles(
        _document(P1={"columns": {"quantity": ["Qty"]}, "cancellation_prefix": None})
    ).for_partner("P1")

    assert profile.columns == {"invoice_no": ("InvoiceNo",), "quantity": ("Qty",)}
    assert profile.cancellation_prefix is None
    assert profile.csv_options() == {
        "delimiter": ",",
        "encoding": "utf-8",
        "header_aliases": {"invoice_no": ("InvoiceNo",), "quantity": ("Qty",)},
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"currency": "usd"}, "feed profile P1: currency: Value error, 'usd' is not an ISO-4217"),
        ({"encoding": "klingon"}, "feed profile P1: encoding: Value error, unknown encoding"),
        ({"delimiter": ";;"}, "feed profile P1: delimiter: String should have at most 1"),
        ({"decimal_separator": "'"}, "feed profile P1: decimal_separator: Input should be"),
        ({"date_formats": ["DD/MM/YYYY"]}, "feed profile P1: date_formats: Value error, not"),
        ({"columns": {"price": ["Price"]}}, "feed profile P1: columns: Value error, not partner_"),
        ({"curency": "USD"}, "feed profile P1: curency: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_wrong_entry_fails_naming_partner_and_field(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedProfileError) as error:
        parse_profiles(_document(P1=entry))

    assert str(error.value).startswith(message)


def test_a_default_missing_a_setting_fails() -> None:
    incomplete = {key: value for key, value in DEFAULT.items() if key != "currency"}

    with pytest.raises(FeedProfileError, match="feed profile default: missing currency"):
        parse_profiles({"version": 1, "default": incomplete})


def test_the_profiles_show_on_the_bronze_partner_sales_asset() -> None:
    spec = next(iter(bronze_partner_sales.specs))
    table = spec.metadata["feed_profiles"].value

    assert table.splitlines()[0].startswith("| partner | delimiter | encoding | decimal |")
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in table.splitlines()[2:]}
    assert set(rows) == {"default", "US-RETAIL-1997", "EU-DAYFIRST-01"}
    assert "| USD | none |" in rows["US-RETAIL-1997"]
    assert spec.metadata["feed_profiles_file"] == "retail_platform/feeds/partner_feeds.yaml"
