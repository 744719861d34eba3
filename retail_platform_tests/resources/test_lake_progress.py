"""Which batches entered or left a Delta table since a version, read from its log."""

from pathlib import Path

import polars as pl
import pytest

from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import Progress


def _rows(batch: str, source_key: str, *ids: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": list(ids), "_batch_id": [batch] * len(ids), "_source_key": [source_key] * len(ids)}
    )


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("bronze", "t", _rows("b1", "file-a", "1", "2"))  # version 0
    lake.append("bronze", "t", _rows("b2", "file-b", "3"))  # version 1
    return lake


def test_an_appended_batch_is_the_only_change(lake: LakeResource) -> None:
    lake.append("bronze", "t", _rows("b3", "file-c", "4"))

    changed = lake.changed_batches("bronze", "t", 1)

    assert (changed.batches, changed.version) == (frozenset({"b3"}), 2)
    assert (changed.files_added, changed.files_removed, changed.whole_table_replaced) == (
        1, 0, False)  # fmt: skip


def test_a_replaced_object_names_the_batch_it_removed_and_the_one_it_brought(
    lake: LakeResource,
) -> None:
    lake.replace_keys("bronze", "t", _rows("b3", "file-a", "1"), "_source_key", ["file-a"])

    changed = lake.changed_batches("bronze", "t", 1)

    # b1's file left the table; the new file holds b3 only.
    assert changed.batches == frozenset({"b1", "b3"})
    assert not changed.whole_table_replaced


def test_a_snapshot_replacing_the_table_is_reported(lake: LakeResource) -> None:
    lake.replace_table("bronze", "t", _rows("b3", "snapshot", "1"))

    changed = lake.changed_batches("bronze", "t", 1)

    assert changed.whole_table_replaced
    assert changed.batches == frozenset({"b1", "b2", "b3"})


def test_nothing_changed_since_the_current_version(lake: LakeResource) -> None:
    changed = lake.changed_batches("bronze", "t", 1)

    assert (changed.batches, changed.files_added, changed.files_removed) == (frozenset(), 0, 0)


def test_the_latest_progress_record_is_the_position(lake: LakeResource) -> None:
    assert lake.progress("silver", "orders", "orders") is None
    lake.record_progress("silver", "orders", Progress("bronze", "orders", 3, "full", "run-1"))
    lake.record_progress("silver", "orders", Progress("bronze", "orders", 5, "incremental", "r2"))

    progress = lake.progress("silver", "orders", "orders")

    assert progress is not None
    assert (progress.source_version, progress.mode, progress.run_id) == (5, "incremental", "r2")
    assert lake.progress("silver", "orders", "payments") is None


def test_positions_recorded_in_one_commit_are_read_back_in_one_read(lake: LakeResource) -> None:
    assert lake.progresses("_state", "s") == {}
    lake.record_progress("_state", "s", Progress("gold", "facts", 2, "full", "run-1"))
    before = lake.version("_progress", "_state/s")
    lake.record_progresses(
        "_state",
        "s",
        [Progress("gold", "facts", 4, "incremental", "r2"), Progress("_state", "s", 7, "x", "r2")],
    )

    found = lake.progresses("_state", "s")

    assert lake.version("_progress", "_state/s") == before + 1  # one commit for both
    assert {name: p.source_version for name, p in found.items()} == {"facts": 4, "s": 7}
    assert found["facts"].run_id == "r2"
