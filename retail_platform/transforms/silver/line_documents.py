"""The lines of a bronze order version: a JSON document, read into text lines and typed lines.

``json_decode`` fails the whole column on one odd document, so only documents proven to be a
list of flat objects reach it. The proof is cheap for what bronze writes (json.dumps with
sorted keys): :data:`PLAIN_LINES`. Any other document is first canonicalised
(``json_path_match`` re-serialises it compactly) and decoded only if that is a list of flat
objects; decoding the canonical text is what defines the result for every document.
"""

from __future__ import annotations

import polars as pl

from retail_platform.contracts.model import MONEY, PRICE
from retail_platform.transforms.silver.validation import (
    clean_text,
    money_of_number,
    parse_integer,
    parse_number,
    price_of_number,
    source,
)

LINE_FIELDS = ("line_number", "product_id", "quantity", "unit_price", "discount")
# Lines are first decoded with every field as text, so 'two' survives to be reported.
TEXT_LINE = pl.List(pl.Struct({field: pl.String for field in LINE_FIELDS}))
TYPED_LINE = pl.Struct(
    {
        "line_number": pl.Int32,
        "product_id": pl.String,
        "quantity": pl.Int32,
        "unit_price": PRICE,
        "discount": MONEY,
    }
)

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_JSON_SCALAR = rf"(?:{_JSON_STRING}|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)"
_JSON_MEMBER = rf"{_JSON_STRING}:{_JSON_SCALAR}"
_JSON_FLAT_OBJECT = rf"\{{(?:{_JSON_MEMBER}(?:,{_JSON_MEMBER})*)?\}}"
LIST_OF_FLAT_OBJECTS = rf"^\[(?:{_JSON_FLAT_OBJECT}(?:,{_JSON_FLAT_OBJECT})*)?\]$"


def _plain_lines_pattern() -> str:
    """A document that decodes to the same lines raw as canonicalised, so it can skip
    json_path_match: strict JSON (only JSON's four whitespace characters), a list of objects
    whose keys are line fields in sorted order, each at most once (canonicalising keeps the
    last of duplicate keys, decoding raw text the first), and plain scalars: strings without
    escapes or control characters, integers of at most 18 digits (exact in both), decimals
    of at most 15 digits without exponent (read to the same float in both), true, false, null.
    """
    ws = r"[ \t\n\r]*"
    string = r'"[^"\\\x00-\x1f]*"'
    # "-0" is left out: canonicalising turns it into the float -0.0.
    integer = r"(?:0|-?[1-9][0-9]{0,17})"
    decimal = r"-?(?:0|[1-9][0-9]{0,8})\.[0-9]{1,6}"
    scalar = rf"(?:{string}|{decimal}|{integer}|true|false|null)"
    members = [rf'"{field}"{ws}:{ws}{scalar}' for field in sorted(LINE_FIELDS)]

    def in_order(rest: list[str]) -> str:
        """One or more of ``rest``, in its order, separated by commas."""
        if len(rest) == 1:
            return rest[0]
        tail = in_order(rest[1:])
        return rf"(?:{rest[0]}(?:{ws},{ws}{tail})?|{tail})"

    obj = rf"\{{{ws}(?:{in_order(members)}{ws})?\}}"
    return rf"^\[{ws}(?:{obj}(?:{ws},{ws}{obj})*{ws})?\]$"


PLAIN_LINES = _plain_lines_pattern()
DECODED_LINES = "_decoded_lines"
LINES_TEXT = "_lines_text"
CANONICAL_LINES = "_canonical_lines"
PLAIN = "_plain_lines"


def text_field(field: str) -> pl.Expr:
    """A text field of the line that is the list element (inside ``list.eval``)."""
    return pl.element().struct.field(field)


# Fields of a line that hold the parsed number of its money field (see typed_lines).
_NUMBER_FIELDS = {"unit_price": "_unit_price_number", "discount": "_discount_number"}


def typed_field(field: str, number: pl.Expr | None = None) -> pl.Expr:
    """Typed value of one field of the line that is the list element (in ``list.eval``);
    ``number``: the parsed number of a money field, where it is already computed."""
    text = text_field(field)
    if field in ("line_number", "quantity"):
        return parse_integer(text)
    if field == "product_id":
        return clean_text(text)
    if number is None:
        number = parse_number(text)
    if field == "discount":
        # A line without a discount has none; a present but unparsable one stays null.
        return (
            pl.when(clean_text(text).is_null())
            .then(pl.lit(0, MONEY))
            .otherwise(money_of_number(number))
        )
    if field == "unit_price":
        return price_of_number(number)
    return money_of_number(number)


def typed_lines(decoded: pl.Expr) -> pl.Expr:
    """The typed lines of decoded text lines.

    Two passes: the money fields' numbers are parsed first, as fields of each line, then
    the typed values read them. Inside ``list.eval`` an expression used twice is computed
    twice, and parsing decimals is the costly part.
    """
    with_numbers = decoded.list.eval(
        pl.element().struct.with_fields(
            **{name: parse_number(pl.field(field)) for field, name in _NUMBER_FIELDS.items()}
        )
    )
    typed = with_numbers.list.eval(
        pl.struct(
            *(
                (
                    typed_field(field, text_field(_NUMBER_FIELDS[field]))
                    if field in _NUMBER_FIELDS
                    else typed_field(field)
                ).alias(field)
                for field in LINE_FIELDS
            )
        )
    )
    return typed.cast(pl.List(TYPED_LINE))


def with_decoded_lines(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` with the lines text, whether it is plain, its canonical form where it is
    not, the decoded text lines (null unless a list of flat objects) and the typed lines."""
    lines_text = pl.col(LINES_TEXT)
    plain = pl.col(PLAIN)
    canonical = pl.col(CANONICAL_LINES)
    looks_like_list = lines_text.str.starts_with("[")
    well_formed = looks_like_list & canonical.str.contains(LIST_OF_FLAT_OBJECTS)
    typed = typed_lines(pl.col(DECODED_LINES))
    return (
        frame.with_columns(clean_text(source("lines")).alias(LINES_TEXT))
        .with_columns(lines_text.str.contains(PLAIN_LINES).fill_null(False).alias(PLAIN))
        # Only the other documents are canonicalised: a null is skipped at no cost.
        .with_columns(
            pl.when(looks_like_list & ~plain)
            .then(lines_text)
            .str.json_path_match("$")
            .alias(CANONICAL_LINES)
        )
        .with_columns(
            pl.when(plain)
            .then(lines_text)
            .when(well_formed)
            .then(canonical)
            .str.json_decode(TEXT_LINE)
            .alias(DECODED_LINES)
        )
        .with_columns(
            line_count=pl.col(DECODED_LINES).list.len().cast(pl.Int32),
            lines=typed,
        )
    )
