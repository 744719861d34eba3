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


def auto_datetime(text: pl.Expr, parsed: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(value, message) for ``auto``: ISO-8601 or the UCI form; a value that reads only
    day-first is named as such, since the UCI form is month-first.

    ``parsed``: the value, where it is already a column (the message then reads it rather
    than reading every value again)."""
    layouts = (*ISO_FORMATS, *ISO_ZONED_FORMATS, UCI_FORMAT)
    # The first layout that reads each value, as pl.coalesce over the layouts would; a later
    # layout only sees the values the earlier ones could not read.
    value = text.map_batches(
        lambda values: _first_layout_that_reads(values, layouts),
        return_dtype=TIMESTAMP,
        is_elementwise=True,
    )
    # Messages are built from the unread values only (null elsewhere, at no cost).
    read = value if parsed is None else parsed
    unread = pl.when(text.is_not_null() & read.is_null()).then(text)
    message = (
        pl.when(_read(unread, DAY_FIRST_FORMAT).is_not_null())
        .then(
            pl.concat_str(
                pl.lit("invoice_date: reads only day-first, not as the UCI form M/D/YYYY H:MM: "),
                quoted(unread),
                pl.lit(f"; list '{DAY_FIRST_FORMAT}' in the partner's date_formats"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("invoice_date: not an ISO-8601 date or a date like 12/1/2010 8:26: "),
                quoted(unread),
            )
        )
    )
    return value, message


def _first_layout_that_reads(values: pl.Series, layouts: Sequence[str]) -> pl.Series:
    parsed = _read_series(values, layouts[0])
    for layout in layouts[1:]:
        unread = (parsed.is_null() & values.is_not_null()).arg_true()
        if unread.len() == 0:
            break
        parsed = parsed.scatter(unread, _read_series(values.gather(unread), layout))
    return parsed


def _read_series(values: pl.Series, layout: str) -> pl.Series:
    return values.to_frame("text").select(_read(pl.col("text"), layout).cast(TIMESTAMP)).to_series()


def listed_datetime(
    text: pl.Expr, layouts: Sequence[str], file: pl.Expr | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """(value, message) for a list of formats, decided per file (see the module docstring).

    ``file``: the file of each row to decide on (by default ``_source_key``); null for rows
    that are not read this way (``text`` null too), which then cost little."""
    file = pl.col(FILE) if file is None else file
    values = [_read(text, layout) for layout in layouts]
    whole_file = [(value.is_not_null() | text.is_null()).all().over(file) for value in values]
    chosen = pl.coalesce(*values)  # no format reads the whole file: each row its first
    for value, reads_all in reversed(list(zip(values, whole_file, strict=True))):
        chosen = pl.when(reads_all).then(value).otherwise(chosen)
    ambiguities = []
    for i, j in combinations(range(len(layouts)), 2):
        differ = values[i] != values[j]
        ambiguous = whole_file[i] & whole_file[j] & differ.any().over(file)
        sample = text.filter(differ).first().over(file)
        # Built for the ambiguous files' rows only (a null makes the message null).
        ambiguities.append(
            pl.concat_str(
                pl.lit("invoice_date: ambiguous day/month order in file "),
                pl.when(ambiguous).then(pl.col(FILE)),
                pl.lit(": "),
                quoted(pl.when(ambiguous).then(sample)),
                pl.lit(f" reads with both '{layouts[i]}' and '{layouts[j]}'; keep one of "),
                pl.lit("them in the partner's date_formats"),
            )
        )
    unread = pl.when(text.is_not_null() & chosen.is_null()).then(text)
    not_a_date = pl.concat_str(
        pl.lit(f"invoice_date: not a date in the formats {' | '.join(layouts)}: "),
        quoted(unread),
    )
    message = pl.coalesce(*ambiguities, not_a_date)
    return chosen.cast(TIMESTAMP), message


def price_number(text: pl.Expr, comma_decimal: pl.Expr) -> pl.Expr:
    """The number (Decimal(38, 9)) a unit price is written as with "." or "," decimals; null
    when it is not plainly such a number."""
    cleaned = clean_text(text)
    # Each value is matched against its own separator's pattern only (the other is null).
    comma_text = pl.when(comma_decimal).then(cleaned)
    dot_text = pl.when(comma_decimal).then(pl.lit(None, pl.String)).otherwise(cleaned)
    plain = pl.coalesce(
        pl.when(comma_text.str.contains(r"^-?\d+(,\d+)?$")).then(
            comma_text.str.replace(",", ".", literal=True)
        ),
        pl.when(dot_text.str.contains(r"^-?\d+(\.\d+)?$")).then(dot_text),
    )
    return plain.cast(_WIDE, strict=False)


def price(
    text: pl.Expr, comma_decimal: pl.Expr, number: pl.Expr | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """(Decimal(18, 4) value, message) of a unit price written with "." or "," decimals.

    ``number``: :func:`price_number` of the text, where it is already a column (the decimal
    arithmetic below repeats it several times, and Polars does not always share it)."""
    cleaned = clean_text(text)
    number = price_number(text, comma_decimal) if number is None else number
    fits = number.abs() < _PRICE_LIMIT
    exact = number == number.round(PRICE_DECIMALS)
    value = pl.when(fits & exact).then(number).cast(PRICE)
    present = cleaned.is_not_null()
    # Only the values with a problem are quoted (a null makes the message null).
    shown = quoted(pl.when(present & (number.is_null() | ~exact | ~fits)).then(text))
    not_a_number = "unit_price: not a number with decimal separator "
    message = (
        pl.when(present & number.is_null())
        .then(
            pl.when(comma_decimal)
            .then(pl.concat_str(pl.lit(f"{not_a_number}',': "), shown))
            .otherwise(pl.concat_str(pl.lit(f"{not_a_number}'.': "), shown))
        )
        .when(present & ~exact)
        .then(pl.concat_str(pl.lit(f"unit_price: more than {PRICE_DECIMALS} decimals: "), shown))
        .when(present & ~fits)
        .then(pl.concat_str(pl.lit("unit_price: too large: "), shown))
    )
    return value, message
