"""Building blocks shared by the silver validations: parsers, parse messages, quarantine rows.

Conventions every silver ``validate_*`` function follows:

* The typed value takes the source column's name; the source text of every column that gets a
  typed counterpart is kept as ``_bronze_<name>`` so quarantine rows can be written exactly as
  delivered. Columns without a typed counterpart (the ingestion columns) keep their names.
* A parse message is an expression that is a message (``"<column>: <what is wrong>"``) when
  the text cannot be read and null otherwise. Rules on the typed values are declared as
  dataframely schemas (rules.py), which joins every message of a row with ``"; "`` into
  ``_quarantine_reason`` (null for a valid row). Rows are never filtered here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

import polars as pl

from retail_platform.contracts.model import MONEY, PRICE, TIMESTAMP, TableContract
from retail_platform.contracts.silver import QUARANTINE_REASON

REASON = QUARANTINE_REASON.name
SOURCE_PREFIX = "_bronze_"
REASON_SEPARATOR = "; "
# Quoted values in messages are cut here so that a huge malformed document stays readable.
MAX_QUOTED_CHARS = 80

# Accepted ISO-8601 layouts, tried in order. Offsets are converted to UTC; a timestamp without
# an offset is taken to be UTC already (the sources write UTC).
_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
_PLAIN_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
_PLAIN_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Parsing goes through a wide decimal so that e.g. "1.005" rounds to cents exactly.
_WIDE_DECIMAL = pl.Decimal(38, 9)
_MONEY_LIMIT = Decimal("1e16")  # Decimal(18, 2) holds 16 integer digits
_PRICE_LIMIT = Decimal("1e14")  # Decimal(18, 4) holds 14
_TRUE_TEXTS = ("true", "1")
_FALSE_TEXTS = ("false", "0")


def source_name(column: str) -> str:
    """Name under which a validated frame keeps the source text of ``column``."""
    return f"{SOURCE_PREFIX}{column}"


def keep_source_columns(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """Rename ``columns`` to their ``_bronze_`` names so typed columns can take the names."""
    return frame.rename({column: source_name(column) for column in columns})


def source_column_names(input_frame: pl.LazyFrame, renamed: Collection[str]) -> list[str]:
    """Names, in input order, under which a validated frame keeps the input's columns."""
    return [
        source_name(name) if name in renamed else name
        for name in input_frame.collect_schema().names()
    ]


def source(column: str) -> pl.Expr:
    """The source text of ``column`` in a frame prepared by :func:`keep_source_columns`."""
    return pl.col(source_name(column))


# --- parsers: null when the text does not parse -------------------------------------------


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; blank becomes null so that '  ' counts as missing."""
    trimmed = expr.cast(pl.String).str.strip_chars()
    return pl.when(trimmed.str.len_chars() > 0).then(trimmed)


def parse_timestamp(expr: pl.Expr) -> pl.Expr:
    """ISO-8601 text -> Datetime(us, UTC); accepts 'T' or ' ' and 'Z' or an offset."""
    raw = expr.cast(pl.String)
    # What the sources write (2026-10-31T10:00:00Z) is read with one fixed layout; the
    # general normalise-and-try-each-layout reading below costs several times more.
    plain = (
        pl.when(raw.str.contains(_PLAIN_UTC))
        .then(raw)
        .str.to_datetime(_PLAIN_UTC_FORMAT, time_unit="us", strict=False, cache=False)
        .dt.replace_time_zone("UTC")
    )
    text = (
        clean_text(pl.when(plain.is_null()).then(raw))
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ tT]", "${1}T")
        .str.replace(r"[zZ]$", "+00:00")
    )
    other = text.map_batches(_first_layout_that_reads, return_dtype=TIMESTAMP, is_elementwise=True)
    return pl.coalesce(plain.cast(TIMESTAMP), other)


def _first_layout_that_reads(text: pl.Series) -> pl.Series:
    """Each value read with the first layout that reads it, as ``pl.coalesce`` over the
    layouts would; a later layout only sees the values the earlier ones could not read (in
    one expression, the normalised text would also be computed again for every layout)."""
    parsers = [
        *(
            lambda values, layout=layout: values.str.to_datetime(
                layout, time_unit="us", time_zone="UTC", strict=False
            )
            for layout in _OFFSET_FORMATS
        ),
        *(
            lambda values, layout=layout: values.str.to_datetime(
                layout, time_unit="us", strict=False
            ).dt.replace_time_zone("UTC")
            for layout in _NAIVE_FORMATS
        ),
    ]
    parsed = parsers[0](text)
    for parse in parsers[1:]:
        unread = (parsed.is_null() & text.is_not_null()).arg_true()
        if unread.len() == 0:
            break
        parsed = parsed.scatter(unread, parse(text.gather(unread)))
    return parsed.cast(TIMESTAMP)


def parse_date(expr: pl.Expr) -> pl.Expr:
    """'YYYY-MM-DD' text (an ISO timestamp's date part is not accepted) -> Date, else null."""
    text = clean_text(expr)
    return (
        pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
        .then(text)
        .str.to_date("%Y-%m-%d", strict=False)
    )


def parse_number(expr: pl.Expr) -> pl.Expr:
    """Decimal text (optionally with exponent) -> Decimal(38, 9); null if not a number."""
    return clean_text(expr).cast(_WIDE_DECIMAL, strict=False)


def parse_money(expr: pl.Expr) -> pl.Expr:
    """Number text -> Decimal(18, 2), rounded half away from zero to cents.

    Null when the text is not a number or does not fit Decimal(18, 2).
    """
    return money_of_number(parse_number(expr))


def money_of_number(number: pl.Expr) -> pl.Expr:
    """:func:`parse_money` of a :func:`parse_number` value (e.g. one already computed)."""
    return (
        pl.when(number.abs() < pl.lit(_MONEY_LIMIT, dtype=_WIDE_DECIMAL))
        .then(number.round(2, mode="half_away_from_zero"))
        .cast(MONEY)
    )


def parse_price(expr: pl.Expr) -> pl.Expr:
    """Number text -> Decimal(18, 4), exactly as delivered: a unit price is multiplied before
    the line is rounded to cents, so it is never rounded itself.

    Null when the text is not a number, has more than 4 decimals, or does not fit."""
    return price_of_number(parse_number(expr))


def price_of_number(number: pl.Expr) -> pl.Expr:
    """:func:`parse_price` of a :func:`parse_number` value (e.g. one already computed)."""
    fits = number.abs() < pl.lit(_PRICE_LIMIT, dtype=_WIDE_DECIMAL)
    return pl.when(fits & (number == number.round(4))).then(number).cast(PRICE)


def parse_integer(expr: pl.Expr) -> pl.Expr:
    """Integer text -> Int32; null if not an integer or out of Int32 range."""
    return clean_text(expr).str.to_integer(dtype=pl.Int32, strict=False)


def parse_flag(expr: pl.Expr) -> pl.Expr:
    """'true'/'false'/'1'/'0' (any case, surrounding blanks ignored) -> Boolean, else null."""
    text = clean_text(expr).str.to_lowercase()
    return pl.when(text.is_in(_TRUE_TEXTS)).then(True).when(text.is_in(_FALSE_TEXTS)).then(False)


# --- rules: a message when broken, null otherwise ----------------------------------------


def quoted(expr: pl.Expr) -> pl.Expr:
    """The value in single quotes for a message, cut to MAX_QUOTED_CHARS characters."""
    text = expr.cast(pl.String)
    shortened = (
        pl.when(text.str.len_chars() > MAX_QUOTED_CHARS)
        .then(pl.concat_str(text.str.slice(0, MAX_QUOTED_CHARS), pl.lit("...")))
        .otherwise(text)
    )
    return pl.concat_str(pl.lit("'"), shortened, pl.lit("'"))


def rule(broken: pl.Expr, message: str | pl.Expr) -> pl.Expr:
    """``message`` where ``broken`` is true, else null (a null condition counts as kept)."""
    return pl.when(broken).then(pl.lit(message) if isinstance(message, str) else message)


def missing_rule(label: str, raw: pl.Expr) -> pl.Expr:
    """'<label>: missing' when the source value is null or blank."""
    return rule(clean_text(raw).is_null(), f"{label}: missing")


def value_rule(label: str, broken: pl.Expr, problem: str, value: pl.Expr) -> pl.Expr:
    """'<label>: <problem>: '<value>'' where ``broken`` is true."""
    # Only the broken rows' values are quoted (a null makes the message null): quoting every
    # row's text, a long JSON document say, only to discard it cost a share of validation.
    return pl.concat_str(pl.lit(f"{label}: {problem}: "), quoted(pl.when(broken).then(value)))


def unparsed_rule(label: str, raw: pl.Expr, parsed: pl.Expr, expected: str) -> pl.Expr:
    """'<label>: not <expected>: '<raw>'' when a present value failed to parse."""
    broken = clean_text(raw).is_not_null() & parsed.is_null()
    return value_rule(label, broken, f"not {expected}", raw)


def timestamp_unparsed(label: str) -> pl.Expr:
    """'<label>: not an ISO-8601 timestamp: ...' for the source text of column ``label``."""
    raw = source(label)
    return unparsed_rule(label, raw, parse_timestamp(raw), "an ISO-8601 timestamp")


def date_unparsed(label: str) -> pl.Expr:
    """'<label>: not an ISO-8601 date: ...' for the source text of column ``label``."""
    raw = source(label)
    return unparsed_rule(label, raw, parse_date(raw), "an ISO-8601 date")


def ingestion_error_rule() -> pl.Expr:
    """Bronze's own '_error' (a malformed record) is always a reason to quarantine."""
    error = clean_text(pl.col("_error"))
    return rule(error.is_not_null(), pl.concat_str(pl.lit("_error: "), error))


def join_reasons(reasons: Sequence[pl.Expr]) -> pl.Expr:
    """The broken rules joined with '; '; null when none broke."""
    joined = pl.concat_str(list(reasons), separator=REASON_SEPARATOR, ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined)


# --- outputs -------------------------------------------------------------------------------


def quarantine_rows(
    validated: pl.LazyFrame, bronze_contract: TableContract | pl.Schema
) -> pl.LazyFrame:
    """The rejected rows as delivered: the source columns plus ``_quarantine_reason``.

    ``bronze_contract`` is the bronze table's contract, or, for customers (masked before
    validation), the schema of the masked frame. Each column is taken from its ``_bronze_``
    copy where the validation made one, else from the column of that name.
    """
    schema = (
        bronze_contract.polars_schema
        if isinstance(bronze_contract, TableContract)
        else bronze_contract
    )
    available = set(validated.collect_schema().names())
    columns = [
        (pl.col(source_name(name)) if source_name(name) in available else pl.col(name))
        .cast(dtype, strict=True)
        .alias(name)
        for name, dtype in schema.items()
    ]
    return validated.filter(pl.col(REASON).is_not_null()).select(
        *columns, pl.col(REASON).cast(pl.String)
    )


def valid_rows(validated: pl.LazyFrame) -> pl.LazyFrame:
    """The rows that broke no rule (the complement of :func:`quarantine_rows`)."""
    return validated.filter(pl.col(REASON).is_null())
