"""Reading order lines documents: which documents count as plain (decoded as delivered)."""

import polars as pl
import pytest

from retail_platform.transforms.silver.line_documents import (
    DECODED_LINES,
    PLAIN,
    with_decoded_lines,
)
from retail_platform.transforms.silver.validation import source_name

SORTED = '"discount": 0, "line_number": 1, "product_id": "P1", "quantity": 2, "unit_price": 5'


def read(document: str | None) -> dict[str, object]:
    frame = pl.LazyFrame({source_name("lines"): [document]}, schema={"_bronze_lines": pl.String})
    return with_decoded_lines(frame).collect().row(0, named=True)


@pytest.mark.parametrize(
    "document",
    [
        f"[{{{SORTED}}}]",
        "[]",
        "[{}]",
        '[{"line_number":1,"quantity":"2"},\n\t{"line_number": 2, "unit_price": 19.99}]',
        '[{"discount": null, "line_number": 123456789012345678, "product_id": true}]',
        '[{"unit_price": -123456789.123456}]',
    ],
)
def test_a_strict_document_with_sorted_line_fields_is_plain(document: str) -> None:
    assert read(document)[PLAIN] is True


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ('[{"line_number": 1, "discount": 0}]', "keys not sorted"),
        ('[{"line_number": 1, "line_number": 2}]', "a key repeated"),
        ('[{"line_number": 1, "zzz": 2}]', "a key that is no line field"),
        ('[{"product_id": "P\\u0031"}]', "an escape"),
        ('[{"product_id": "P\t1"}]', "a control character in a string"),
        ('[{"line_number": 1}\f]', "a form feed, not JSON whitespace"),
        ('[{"quantity": -0}]', "-0"),
        ('[{"quantity": 01}]', "a leading zero"),
        ('[{"unit_price": 5e0}]', "an exponent"),
        ('[{"unit_price": 0.1234567}]', "more than 6 decimals"),
        ('[{"unit_price": 1234567890.5}]', "more than 9 integer digits in a decimal"),
        ('[{"line_number": 1234567890123456789}]', "an integer of 19 digits"),
        ('[{"line_number": [1]}]', "a nested value"),
        ('[{"line_number": 1},]', "a trailing comma"),
        ('{"line_number": 1}', "not a list"),
        (None, "missing"),
    ],
)
def test_any_other_document_is_not_plain(document: str | None, why: str) -> None:
    assert read(document)[PLAIN] is False, why


def test_plain_and_canonicalised_documents_decode_to_the_same_text_lines() -> None:
    plain = read(f"[{{{SORTED}}}]")
    # The same line with unsorted keys and an escape: canonicalised first.
    other = read(
        '[{"line_number": 1, "product_id": "P\\u0031", "quantity": 2, "unit_price": 5, '
        '"discount": 0}]'
    )

    assert (plain[PLAIN], other[PLAIN]) == (True, False)
    expected = [
        {
            "line_number": "1",
            "product_id": "P1",
            "quantity": "2",
            "unit_price": "5",
            "discount": "0",
        }
    ]
    assert plain[DECODED_LINES] == other[DECODED_LINES] == expected
