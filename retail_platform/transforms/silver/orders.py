"""Silver orders: parse and validate bronze order versions, keep the latest, explode lines.

``validate_order_versions`` returns every bronze row with typed columns, a typed ``lines``
list and ``_quarantine_reason``. The bronze text of each payload column is kept as
``_bronze_<name>`` (the typed column takes the name); ingestion columns keep their names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.contracts import bronze, silver
from retail_platform.contracts.model import MONEY
from retail_platform.transforms.conform import conform
from retail_platform.transforms.silver.line_documents import (
    CANONICAL_LINES,
    DECODED_LINES,
    LINE_FIELDS,
    LINES_TEXT,
    PLAIN,
    text_field,
    typed_field,
    with_decoded_lines,
)
from retail_platform.transforms.silver.payments import CURRENCY
from retail_platform.transforms.silver.rules import CheckedSchema, OneOf, apply_schema
from retail_platform.transforms.silver.validation import (
    REASON,
    clean_text,
    ingestion_error_rule,
    join_reasons,
    keep_source_columns,
    missing_rule,
    parse_number,
    parse_timestamp,
    quoted,
    rule,
    source,
    source_column_names,
    unparsed_rule,
    value_rule,
)

ORDER_STATUSES = ("placed", "paid", "shipped", "cancelled", "returned")
CHANNELS = ("web", "app", "store")
_PAYLOAD = [name for name in bronze.ORDERS.column_names if not name.startswith("_")]

_LINE_REASONS = "_line_reasons"
_ROW_INDEX = "_order_version_row"


class OrderVersionSchema(CheckedSchema):
    """One version of an order; its lines are checked while they are parsed."""

    order_id = dy.String(nullable=False)
    customer_id = dy.String(nullable=False)
    status = dy.String(nullable=False, check={"status": OneOf(ORDER_STATUSES)})
    currency = dy.String(nullable=False, check={"currency": CURRENCY})
    channel = dy.String(nullable=True, check={"channel": OneOf(CHANNELS)})
    created_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    updated_at = dy.Datetime(nullable=False, time_zone="UTC", time_unit="us")
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "updated_after_created": "updated_at: before created_at"
    }

    @dy.rule()
    def updated_after_created(cls) -> pl.Expr:
        return pl.col("updated_at") >= pl.col("created_at")


def line_amount(quantity: pl.Expr, unit_price: pl.Expr, discount: pl.Expr) -> pl.Expr:
    """quantity x unit_price - discount from the delivered values, rounded half away from zero
    to cents once, here."""
    return (quantity * unit_price - discount).round(2, mode="half_away_from_zero").cast(MONEY)


def _line_checks(
    text_of: Callable[[str], pl.Expr] = text_field,
    typed_of: Callable[[str], pl.Expr] = typed_field,
) -> list[tuple[pl.Expr, pl.Expr]]:
    """(broken, message) of every rule of one line, from its fields' text and typed values
    (by default the list element's, for ``list.eval``).

    Lines are addressed by position counting from 1, like line_number: lines[2] is the
    second line of the document.
    """
    position = pl.int_range(1, pl.len() + 1).cast(pl.String)

    def label(field: str) -> pl.Expr:
        return pl.concat_str(pl.lit("lines["), position, pl.lit(f"].{field}"))

    def message(field: str, problem: str, value: pl.Expr | None = None) -> pl.Expr:
        parts = [label(field), pl.lit(f": {problem}")]
        if value is not None:
            parts += [pl.lit(": "), quoted(value)]
        return pl.concat_str(parts)

    def missing(field: str) -> tuple[pl.Expr, pl.Expr]:
        return clean_text(text_of(field)).is_null(), message(field, "missing")

    def unparsed(field: str, expected: str) -> tuple[pl.Expr, pl.Expr]:
        text = text_of(field)
        broken = clean_text(text).is_not_null() & typed_of(field).is_null()
        return broken, message(field, f"not {expected}", text)

    quantity, unit_price, discount = (
        typed_of(name) for name in ("quantity", "unit_price", "discount")
    )
    price_number = parse_number(text_of("unit_price"))
    return [
        missing("line_number"),
        unparsed("line_number", "an integer"),
        (
            typed_of("line_number") <= 0,
            message("line_number", "not positive", text_of("line_number")),
        ),
        missing("product_id"),
        missing("quantity"),
        unparsed("quantity", "an integer"),
        (quantity <= 0, message("quantity", "not positive", text_of("quantity"))),
        missing("unit_price"),
        (
            clean_text(text_of("unit_price")).is_not_null() & price_number.is_null(),
            message("unit_price", "not a number", text_of("unit_price")),
        ),
        (
            # A number, but finer than the 4 decimals a price keeps: never rounded silently.
            price_number.is_not_null() & unit_price.is_null(),
            message("unit_price", "more than 4 decimals", text_of("unit_price")),
        ),
        (unit_price < 0, message("unit_price", "negative", text_of("unit_price"))),
        unparsed("discount", "a number"),
        (discount < 0, message("discount", "negative", text_of("discount"))),
        (
            # Only judged against a sound quantity and price, else it repeats their error.
            (discount >= 0)
            & (quantity > 0)
            & (unit_price >= 0)
            & (discount > quantity * unit_price),
            message("discount", "exceeds quantity x unit_price", text_of("discount")),
        ),
    ]


def _line_rules() -> pl.Expr:
    """Every broken rule of one line as one message, null for a valid line (in ``list.eval``)."""
    return join_reasons([rule(broken, text) for broken, text in _line_checks()])


def _line_is_broken() -> pl.Expr:
    """True for a typed line (the list element, in ``list.eval``) that breaks any rule of
    :func:`_line_checks`. Each of those rules leaves a null typed field or a value out of
    range: a missing or unreadable field parses to null (a missing discount to 0), and the
    range rules read the typed values."""
    field = pl.element().struct.field
    quantity, unit_price, discount = field("quantity"), field("unit_price"), field("discount")
    return pl.any_horizontal(
        *(field(name).is_null() for name in LINE_FIELDS),
        field("line_number") <= 0,
        quantity <= 0,
        unit_price < 0,
        discount < 0,
        discount > quantity * unit_price,
    ).fill_null(True)


def _with_line_reasons(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``_line_reasons``: the messages of its broken lines, null when none broke.

    Which rows have a broken line is judged on the typed ``lines`` (parsed once, also for
    the output); messages are built (in ``list.eval``, from the text) only for those few
    rows. Building them for every line of every row was most of the silver orders' time.
    The messages are joined back on the row number alone (joining the whole frame would
    copy every column).
    """
    decoded = pl.col(DECODED_LINES)
    indexed = frame.lazy().with_row_index(_ROW_INDEX)
    # Null and empty lists have no lines to judge (their own rules report them).
    has_broken_line = pl.col("lines").list.eval(_line_is_broken()).list.any()
    reasons = indexed.filter(has_broken_line).select(
        _ROW_INDEX,
        decoded.list.eval(_line_rules()).list.drop_nulls().list.join("; ").alias(_LINE_REASONS),
    )
    line_reasons = (
        indexed.select(_ROW_INDEX)
        .join(reasons, on=_ROW_INDEX, how="left", maintain_order="left")
        .select(_LINE_REASONS)
        .collect()
        .get_column(_LINE_REASONS)
    )
    return frame.with_columns(line_reasons)


def _lines_rules(
    lines_text: pl.Expr, valid_json: pl.Expr, looks_like_list: pl.Expr
) -> list[pl.Expr]:
    decoded = pl.col(DECODED_LINES)
    # The typed line_number is parse_integer of its text: null where unreadable. Counting
    # distinct values is much cheaper than is_duplicated per list.
    numbers = pl.col("lines").list.eval(pl.element().struct.field("line_number").drop_nulls())
    duplicated_numbers = numbers.list.n_unique() < numbers.list.len()
    line_reasons = pl.col(_LINE_REASONS)
    return [
        missing_rule("lines", lines_text),
        value_rule(
            "lines", lines_text.is_not_null() & ~looks_like_list, "not a JSON list", lines_text
        ),
        value_rule("lines", looks_like_list & ~valid_json, "not valid JSON", lines_text),
        value_rule(
            "lines",
            valid_json & looks_like_list & decoded.is_null(),
            "not a list of flat JSON objects",
            lines_text,
        ),
        rule(decoded.list.len() == 0, "lines: empty list"),
        rule(duplicated_numbers, "lines: duplicate line_number"),
        pl.when(line_reasons.str.len_chars() > 0).then(line_reasons),
    ]


def validate_order_versions(bronze_orders: pl.LazyFrame) -> pl.LazyFrame:
    """Type and validate every bronze order version; no row is dropped.

    Output: the silver.ORDERS columns (typed), ``lines`` as List(Struct(line_number,
    product_id, quantity, unit_price, discount)), ``_quarantine_reason`` (null when valid),
    then ``_bronze_<payload column>`` text and the ingestion columns as delivered. Typed
    values of a quarantined row are best effort (null where unparsable).
    """
    # Computed once as columns: several rules read them (the final select drops them).
    # Collected here: validation (apply_schema) collects anyway.
    decoded = with_decoded_lines(keep_source_columns(bronze_orders, _PAYLOAD)).collect()
    frame = _with_line_reasons(decoded).lazy()
    lines_text = pl.col(LINES_TEXT)
    valid_json = pl.col(PLAIN) | pl.col(CANONICAL_LINES).is_not_null()
    typed = frame.with_columns(
        order_id=clean_text(source("order_id")),
        customer_id=clean_text(source("customer_id")),
        status=clean_text(source("status")).str.to_lowercase(),
        currency=clean_text(source("currency")).str.to_uppercase(),
        channel=clean_text(source("channel")).str.to_lowercase(),
        created_at=parse_timestamp(source("created_at")),
        updated_at=parse_timestamp(source("updated_at")),
    ).with_columns(order_date=pl.col("created_at").dt.date())
    frame = apply_schema(
        typed,
        OrderVersionSchema,
        # The typed columns are the parsed source text: parsing again would only cost time.
        unparsed={
            name: unparsed_rule(name, source(name), pl.col(name), "an ISO-8601 timestamp")
            for name in ("created_at", "updated_at")
        },
        leading=[ingestion_error_rule()],
        trailing=_lines_rules(lines_text, valid_json, lines_text.str.starts_with("[")),
    )
    frame = frame.with_columns(
        # Summed inside list.eval: list.sum on decimals is several times slower.
        order_total=pl.col("lines")
        .list.eval(
            line_amount(
                pl.element().struct.field("quantity"),
                pl.element().struct.field("unit_price"),
                pl.element().struct.field("discount"),
            ).sum()
        )
        .list.first()
        .cast(MONEY)
    )
    leading = [*silver.ORDERS.column_names, "lines", REASON]
    trailing = source_column_names(bronze_orders, _PAYLOAD)
    return frame.select(*leading, *trailing)


def silver_orders(latest: pl.LazyFrame) -> pl.LazyFrame:
    """Valid latest order versions conformed to silver.ORDERS."""
    return conform(latest, silver.ORDERS)


def silver_order_lines(latest: pl.LazyFrame) -> pl.LazyFrame:
    """One row per line of each valid latest order, conformed to silver.ORDER_LINES.

    status, order_date and updated_at come from the order the line belongs to.
    """
    lines = (
        latest.select("order_id", "status", "order_date", "updated_at", "lines")
        .explode("lines")
        .unnest("lines")
        .with_columns(
            line_amount=line_amount(pl.col("quantity"), pl.col("unit_price"), pl.col("discount"))
        )
    )
    return conform(lines, silver.ORDER_LINES)
