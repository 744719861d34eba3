from decimal import Decimal

import polars as pl
import pytest

from retail_platform.contracts.model import MONEY, Column, TableContract
from retail_platform.transforms.conform import ContractMismatchError, conform

CONTRACT = TableContract(
    "example",
    "A small contract for the tests.",
    (
        Column("id", pl.String, "Identifier."),
        Column("count", pl.Int32, "A count."),
        Column("amount", MONEY, "An amount."),
    ),
)


def test_selects_contract_columns_in_contract_order_with_contract_dtypes() -> None:
    frame = pl.LazyFrame(
        {"amount": [Decimal("1.50")], "extra": ["dropped"], "count": [3], "id": ["a"]},
        schema_overrides={"amount": pl.Decimal(38, 2)},
    )

    result = conform(frame, CONTRACT).collect()

    assert result.schema == pl.Schema({"id": pl.String, "count": pl.Int32, "amount": MONEY})
    assert result.to_dicts() == [{"id": "a", "count": 3, "amount": Decimal("1.50")}]


def test_missing_column_is_named_in_the_error() -> None:
    frame = pl.LazyFrame({"id": ["a"]})

    with pytest.raises(ContractMismatchError, match=r"'example'.*count, amount"):
        conform(frame, CONTRACT)


def test_cast_is_strict() -> None:
    frame = pl.LazyFrame({"id": ["a"], "count": ["not a number"], "amount": [1]})

    with pytest.raises(pl.exceptions.InvalidOperationError):
        conform(frame, CONTRACT).collect()
