"""A table replaced from a stream of parts: one commit, or none when a part fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from retail_platform.resources.lake import LakeResource

SCHEMA = pl.Schema({"order_id": pl.String, "amount": pl.Decimal(18, 2)})


class PartFailedError(Exception):
    """Raised by a producer of parts (as an audit of one part would)."""


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("silver", "orders", _part(["old"]))
    return lake


def _part(ids: list[str]) -> pl.DataFrame:
    amounts = ["1.50"] * len(ids)
    frame = pl.DataFrame(
        {"order_id": ids, "amount": amounts}, schema=dict.fromkeys(SCHEMA, pl.String)
    )
    return frame.with_columns(pl.col("amount").cast(SCHEMA["amount"]))


def _ids(lake: LakeResource) -> list[str]:
    return sorted(lake.scan("silver", "orders").collect().get_column("order_id").to_list())


def test_the_parts_replace_the_table_in_one_commit(lake: LakeResource) -> None:
    parts = [_part(["a", "b"]), _part([]), _part(["c"])]

    written = lake.replace_table_in_parts("silver", "orders", iter(parts), SCHEMA)

    assert written == 3
    assert _ids(lake) == ["a", "b", "c"]
    assert lake.version("silver", "orders") == 1  # the table's first version was 0
    assert lake.scan("silver", "orders").collect_schema() == SCHEMA


def test_a_failing_part_commits_nothing_and_its_error_is_raised(lake: LakeResource) -> None:
    def parts() -> Iterator[pl.DataFrame]:
        yield _part(["a"])
        raise PartFailedError("part 2: key repeated")

    with pytest.raises(PartFailedError, match="part 2: key repeated"):
        lake.replace_table_in_parts("silver", "orders", parts(), SCHEMA)

    assert (lake.version("silver", "orders"), _ids(lake)) == (0, ["old"])


def test_a_part_with_another_schema_is_refused(lake: LakeResource) -> None:
    stray = pl.DataFrame({"order_id": ["b"], "amount": [1.5]})  # a float, not a decimal

    with pytest.raises(ValueError, match="a part has schema"):
        lake.replace_table_in_parts("silver", "orders", iter([_part(["a"]), stray]), SCHEMA)

    assert (lake.version("silver", "orders"), _ids(lake)) == (0, ["old"])
