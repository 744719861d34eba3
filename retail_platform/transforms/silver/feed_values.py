"""Reading partner-file values the way each partner's feed profile says they are written.

Dates: with ``auto`` a value is read as ISO-8601 or as the UCI form M/D/YYYY H:MM; with a list,
each file (``_source_key``) is read with the first listed format that reads all its dates, and
a file that two listed formats both read, to different dates, is ambiguous: every row of it
gets a message naming the file and a value that reads both ways. Prices: "." or "," as decimal
separator, no thousands separators, at most 4 decimals; anything else is reported, never
rounded or guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import polars as pl

from retail_platform.contracts.model import PRICE, TIMESTAMP
from retail_platform.transforms.silver.validation import clean_text, quoted

ISO_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
)
# With Z or an offset: converted to UTC (without one, a time is taken as UTC).
ISO_ZONED_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%d %H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
)
UCI_FORMAT = "%m/%d/%Y %H:%M"
DAY_FIRST_FORMAT = "%d/%m/%Y %H:%M"
PRICE_DECIMALS = 4
FILE = "_source_key"
_WIDE = pl.Decimal(38, 9)
_PRICE_LIMIT = 10**14  # Decimal(18, 4) holds 14 integer digits


def _read(text: pl.Expr, layout: str) -> pl.Expr:
    if layout.endswith(("Z", "%z")):
        return text.str.to_datetime(layout, time_unit="us", time_zone="UTC", strict=False)
    return text.str.to_datetime(layout, time_unit="us", strict=False).dt.replace_time_zone("UTC")


def auto_datetime(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(value, message) for ``auto``: ISO-8601 or the UCI form; a value that reads only
    day-first is named as such, since the UCI form is month-first."""
    layouts = (*ISO_FORMATS, *ISO_ZONED_FORMATS, UCI_FORMAT)
    value = pl.coalesce(*(_read(text, layout) for layout in layouts))
    day_first = _read(text, DAY_FIRST_FORMAT).is_not_null()
    unread = text.is_not_null() & value.is_null()
    message = (
        pl.when(unread & day_first)
        .then(
            pl.concat_str(
                pl.lit("invoice_date: reads only day-first, not as the UCI form M/D/YYYY H:MM: "),
                quoted(text),
                pl.lit(f"; list '{DAY_FIRST_FORMAT}' in the partner's date_formats"),
            )
        )
        .when(unread)
        .then(
            pl.concat_str(
                pl.lit("invoice_date: not an ISO-8601 date or a date like 12/1/2010 8:26: "),
                quoted(text),
            )
        )
    )
    return value.cast(TIMESTAMP), message


def listed_datetime(text: pl.Expr, layouts: Sequence[str]) -> tuple[pl.Expr, pl.Expr]:
    """(value, message) for a list of formats, decided per file (see the module docstring)."""
    values = [_read(text, layout) for layout in layouts]
    whole_file = [(value.is_not_null() | text.is_null()).all().over(FILE) for value in values]
    chosen = pl.coalesce(*values)  # no format reads the whole file: each row its first
    for value, reads_all in reversed(list(zip(values, whole_file, strict=True))):
        chosen = pl.when(reads_all).then(value).otherwise(chosen)
    ambiguities = []
    for i, j in combinations(range(len(layouts)), 2):
        differ = values[i] != values[j]
        sample = text.filter(differ).first().over(FILE)
        ambiguities.append(
            pl.when(whole_file[i] & whole_file[j] & differ.any().over(FILE)).then(
                pl.concat_str(
                    pl.lit("invoice_date: ambiguous day/month order in file "),
                    pl.col(FILE),
                    pl.lit(": "),
                    quoted(sample),
                    pl.lit(f" reads with both '{layouts[i]}' and '{layouts[j]}'; keep one of "),
                    pl.lit("them in the partner's date_formats"),
                )
            )
        )
    unread = text.is_not_null() & chosen.is_null()
    not_a_date = pl.when(unread).then(
        pl.concat_str(
            pl.lit(f"invoice_date: not a date in the formats {' | '.join(layouts)}: "),
            quoted(text),
        )
    )
    message = pl.coalesce(*ambiguities, not_a_date)
    return chosen.cast(TIMESTAMP), message


def price(text: pl.Expr, comma_decimal: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(Decimal(18, 4) value, message) of a unit price written with "." or "," decimals."""
    cleaned = clean_text(text)
    plain = (
        pl.when(comma_decimal)
        .then(pl.when(cleaned.str.contains(r"^-?\d+(,\d+)?$")).then(cleaned.str.replace(",", ".")))
        .otherwise(pl.when(cleaned.str.contains(r"^-?\d+(\.\d+)?$")).then(cleaned))
    )
    number = plain.cast(_WIDE, strict=False)
    fits = number.abs() < _PRICE_LIMIT
    exact = number == number.round(PRICE_DECIMALS)
    value = pl.when(fits & exact).then(number).cast(PRICE)
    separator = pl.when(comma_decimal).then(pl.lit("','")).otherwise(pl.lit("'.'"))
    message = (
        pl.when(cleaned.is_not_null() & number.is_null())
        .then(
            pl.concat_str(
                pl.lit("unit_price: not a number with decimal separator "),
                separator,
                pl.lit(": "),
                quoted(text),
            )
        )
        .when(cleaned.is_not_null() & ~exact)
        .then(
            pl.concat_str(
                pl.lit(f"unit_price: more than {PRICE_DECIMALS} decimals: "), quoted(text)
            )
        )
        .when(cleaned.is_not_null() & ~fits)
        .then(pl.concat_str(pl.lit("unit_price: too large: "), quoted(text)))
    )
    return value, message
