"""The dataframely bridge: typed-value rules become readable, complete quarantine reasons."""

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

import dataframely as dy
import polars as pl
import pytest

from retail_platform.transforms.silver.rules import (
    NOT_NEGATIVE,
    Between,
    CheckedSchema,
    Matches,
    OneOf,
    Satisfies,
    apply_schema,
)


class Parcel(CheckedSchema):
    parcel_id = dy.String(nullable=False)
    size = dy.String(nullable=True, check={"size": OneOf(("S", "M", "L"))})
    code = dy.String(nullable=True, check={"code": Matches(r"^[A-Z]{2}\d$", "a code like AB1")})
    weight = dy.Decimal(18, 2, nullable=False, check={"weight": NOT_NEGATIVE})
    items = dy.Int32(
        nullable=True,
        check={
            "range": Between("not between 1 and 9", 1, 9),
            "odd": Satisfies("even", lambda c: c % 2 == 1),
        },
    )
    row_rule_problems: ClassVar[Mapping[str, str]] = {
        "light_if_small": "weight: over 2 for a small parcel"
    }

    @dy.rule()
    def light_if_small(cls) -> pl.Expr:
        return (pl.col("size") != "S") | (pl.col("weight") <= 2)


def parcels(*rows: tuple[object, ...]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows,
        schema={
            "parcel_id": pl.String,
            "size": pl.String,
            "code": pl.String,
            "weight": pl.Decimal(18, 2),
            "items": pl.Int32,
            "note": pl.String,
        },
        orient="row",
    )


def reasons(frame: pl.LazyFrame, **options: object) -> list[str | None]:
    return apply_schema(frame, Parcel, **options).collect()["_quarantine_reason"].to_list()


def test_a_valid_row_has_no_reason_and_other_columns_are_carried_along() -> None:
    result = apply_schema(parcels(("P1", "S", "AB1", Decimal("1.50"), 3, "fragile")), Parcel)

    assert result.collect().rows() == [("P1", "S", "AB1", Decimal("1.50"), 3, "fragile", None)]


def test_every_broken_rule_is_named_in_column_order_then_row_rules() -> None:
    bad = ("P2", "S", "x9", Decimal("-3.00"), 4, None)

    assert reasons(parcels(bad)) == [
        "code: not a code like AB1: 'x9'; weight: negative: '-3.00'; items: even: '4'"
    ]


def test_row_rules_follow_the_column_rules() -> None:
    heavy_small = ("P3", "S", None, Decimal("5.00"), None, None)
    unknown_size = ("P4", "XL", None, Decimal("5.00"), 11, None)

    assert reasons(parcels(heavy_small, unknown_size)) == [
        "weight: over 2 for a small parcel",
        "size: not one of S, M, L: 'XL'; items: not between 1 and 9: '11'",
    ]


def test_missing_required_values_are_reported_as_missing() -> None:
    assert reasons(parcels((None, None, None, None, None, None))) == [
        "parcel_id: missing; weight: missing"
    ]


def test_a_parse_message_replaces_the_schema_messages_of_its_column() -> None:
    # The weight text could not be read, so it is null: "missing" would only repeat that.
    unparsed = {"weight": pl.when(pl.col("note") == "abc").then(pl.lit("weight: not a number"))}
    frame = parcels(("P5", None, None, None, None, "abc"), ("P6", None, None, None, None, None))

    assert reasons(frame, unparsed=unparsed) == ["weight: not a number", "weight: missing"]


def test_leading_and_trailing_messages_frame_the_schema_messages() -> None:
    frame = parcels(("P7", "XL", None, Decimal("1"), None, None))

    result = reasons(
        frame, leading=[pl.lit("_error: bad record")], trailing=[pl.lit("lines: empty list")]
    )

    assert result == ["_error: bad record; size: not one of S, M, L: 'XL'; lines: empty list"]


def test_no_row_is_dropped_and_the_order_is_kept() -> None:
    rows = [(f"P{index}", "M" if index % 2 else "XL", None, Decimal("1"), None, None)
            for index in range(5)]  # fmt: skip

    result = apply_schema(parcels(*rows), Parcel).collect()

    assert result["parcel_id"].to_list() == ["P0", "P1", "P2", "P3", "P4"]
    assert result["_quarantine_reason"].is_null().to_list() == [False, True, False, True, False]


def test_a_row_rule_without_a_problem_text_is_refused() -> None:
    class Unexplained(CheckedSchema):
        a = dy.Int32(nullable=True)

        @dy.rule()
        def positive(cls) -> pl.Expr:
            return pl.col("a") > 0

    with pytest.raises(ValueError, match="row rules without a problem text"):
        apply_schema(pl.LazyFrame({"a": [1]}, schema={"a": pl.Int32}), Unexplained).collect()
