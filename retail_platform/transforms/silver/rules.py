"""Rules on typed values, declared as dataframely schemas and reported as readable reasons.

Silver validation runs in two steps. Parsing (in each entity's module) turns bronze text into
typed columns and reports values that cannot be read ("amount: not a number: 'abc'"). Then
:func:`apply_schema` checks the typed values against the entity's dataframely schema: required
columns, allowed values, patterns, ranges and cross-column rules. dataframely evaluates every
rule on every row; each broken one becomes a message in ``_quarantine_reason``, in schema column
order, so a row lists all its problems at once.

Checks are small callable objects so that the message can say what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

import dataframely as dy
import polars as pl

from retail_platform.transforms.silver.validation import REASON, join_reasons, quoted

ROW = "_row"
_INVALID = "invalid"
_UNPARSED_PREFIX = "_unparsed|"
_EXTRA_PREFIX = "_extra|"


@dataclass(frozen=True)
class OneOf:
    """The value is one of ``values``."""

    values: tuple[str, ...]

    def __call__(self, column: pl.Expr) -> pl.Expr:
        return column.is_in(list(self.values))

    @property
    def problem(self) -> str:
        return f"not one of {', '.join(self.values)}"


@dataclass(frozen=True)
class Matches:
    """The text matches ``pattern``; ``expected`` says what that means in words."""

    pattern: str
    expected: str

    def __call__(self, column: pl.Expr) -> pl.Expr:
        return column.str.contains(self.pattern)

    @property
    def problem(self) -> str:
        return f"not {self.expected}"


@dataclass(frozen=True)
class Between:
    """minimum <= value <= maximum (either bound optional); ``problem`` names a violation."""

    problem: str
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None

    def __call__(self, column: pl.Expr) -> pl.Expr:
        holds = pl.lit(True)
        if self.minimum is not None:
            holds = holds & (column >= self.minimum)
        if self.maximum is not None:
            holds = holds & (column <= self.maximum)
        return holds


@dataclass(frozen=True)
class Satisfies:
    """Any other single-column condition, with the words for its violation."""

    problem: str
    predicate: Callable[[pl.Expr], pl.Expr]

    def __call__(self, column: pl.Expr) -> pl.Expr:
        return self.predicate(column)


NOT_NEGATIVE = Between("negative", minimum=0)


class CheckedSchema(dy.Schema):
    """Base of the silver schemas: a row number to report failures on, and row-rule messages.

    A subclass declares its typed columns with dataframely column types and, for rules that
    span columns, ``@dy.rule()`` methods whose names are keys of ``row_rule_problems``.
    """

    _row = dy.UInt32(nullable=False)
    row_rule_problems: ClassVar[Mapping[str, str]] = {}


def apply_schema(
    frame: pl.LazyFrame,
    schema: type[CheckedSchema],
    *,
    unparsed: Mapping[str, pl.Expr] | None = None,
    leading: Sequence[pl.Expr] = (),
    trailing: Sequence[pl.Expr] = (),
) -> pl.LazyFrame:
    """``frame`` with ``_quarantine_reason``: every broken rule, null for a valid row.

    ``frame`` holds the schema's typed columns (any others are carried along). ``unparsed``
    maps a typed column to its parse message (null when the text was read): that message
    replaces the column's schema messages, since a value that could not be read would only
    add "missing". The reason lists ``leading`` messages, then each schema column's, then the
    row rules', then ``trailing`` ones. No row is dropped.

    dataframely evaluates the rules eagerly, so the frame is collected once here.
    """
    unparsed = unparsed or {}
    unknown = sorted(set(unparsed) - set(schema.column_names()))
    if unknown:
        raise ValueError(f"{schema.__name__}: parse messages for unknown columns {unknown}")
    extras = [*leading, *trailing]
    evaluated = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
        *(message.alias(_UNPARSED_PREFIX + name) for name, message in unparsed.items()),
        *(message.alias(f"{_EXTRA_PREFIX}{index}") for index, message in enumerate(extras)),
    ).collect()
    # Lazy: only the failing rows are collected (an eager filter also copies the valid ones).
    failures = schema.filter(evaluated.lazy().select(schema.column_names())).failure.details()
    messages = failures.select(ROW, *_rule_messages(schema, failures.columns))
    with_messages = evaluated.join(messages, on=ROW, how="left")

    extra_columns = [pl.col(f"{_EXTRA_PREFIX}{index}") for index in range(len(extras))]
    column_messages = [
        pl.coalesce(pl.col(_UNPARSED_PREFIX + name), pl.col(name + "|"))
        if name in unparsed
        else pl.col(name + "|")
        for name in _value_columns(schema)
    ]
    reasons = [
        *extra_columns[: len(leading)],
        *column_messages,
        *(pl.col(rule + "|") for rule in schema.row_rule_problems),
        *extra_columns[len(leading) :],
    ]
    helper_columns = [
        *(f"{name}|" for name in _value_columns(schema)),
        *(f"{rule}|" for rule in schema.row_rule_problems),
        *(_UNPARSED_PREFIX + name for name in unparsed),
        *(f"{_EXTRA_PREFIX}{index}" for index in range(len(extras))),
        ROW,
    ]
    return (
        with_messages.with_columns(join_reasons(reasons).alias(REASON)).drop(helper_columns).lazy()
    )


def _value_columns(schema: type[CheckedSchema]) -> list[str]:
    return [name for name in schema.column_names() if name != ROW]


def _rule_messages(schema: type[CheckedSchema], detail_columns: Sequence[str]) -> list[pl.Expr]:
    """One message column per value column ('<column>|') and per row rule ('<rule>|')."""
    available = set(detail_columns)
    declared_rules = {name for name in available if "|" not in name} - set(schema.column_names())
    undeclared = sorted(declared_rules - set(schema.row_rule_problems))
    if undeclared:
        raise ValueError(f"{schema.__name__}: row rules without a problem text: {undeclared}")
    columns = schema.columns()
    result = []
    for name in _value_columns(schema):
        rule_names = [rule for rule in detail_columns if rule.startswith(f"{name}|")]
        messages = [_column_message(name, rule, columns[name]) for rule in rule_names]
        joined = join_reasons(messages) if messages else pl.lit(None, pl.String)
        result.append(joined.alias(f"{name}|"))
    for rule, problem in schema.row_rule_problems.items():
        broken = pl.col(rule) == _INVALID if rule in available else pl.lit(False)
        result.append(pl.when(broken).then(pl.lit(problem)).alias(f"{rule}|"))
    return result


def _column_message(name: str, rule: str, column: dy.Column) -> pl.Expr:
    broken = pl.col(rule) == _INVALID
    kind = rule.split("|", 1)[1]
    if kind == "nullability":
        return pl.when(broken).then(pl.lit(f"{name}: missing"))
    check_name = kind.removeprefix("check__")
    checks = column.check if isinstance(column.check, Mapping) else {}
    problem = getattr(checks.get(check_name), "problem", check_name)
    message = pl.concat_str(pl.lit(f"{name}: {problem}: "), quoted(pl.col(name)))
    return pl.when(broken).then(message)
