"""Worked examples: bronze's rows per source, kept between silver runs and moved by the batches
read, give the quarantine check the whole table's figures."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from retail_platform.assets.silver.source_counts import BRONZE_VERSION, STATE
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.silver.test_incremental import (
    DAY1,
    DAY2,
    _deliver_day,
    _version,
    quarantine_check,
    silver_run,
)

KEPT = "silver/orders_quarantine/rows_per_source"


def _kept(lake: LakeResource) -> list[tuple]:
    return sorted(lake.scan(STATE, KEPT).select("source", "rows", BRONZE_VERSION).collect().rows())


def test_rows_per_source_are_kept_and_moved_by_the_batches_read(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    _deliver_day(lake, 1, DAY1, _version("O1"), _version("O2"), _version("O3"))
    silver_run(lake, "run-1")  # a full build: counted from bronze
    assert _kept(lake) == [("partition 2026-10-01", 3, 0)]

    # Day 1 corrected (3 rows leave, 1 enters, malformed), day 2 new (2 rows): two commits.
    _deliver_day(lake, 2, DAY1, _version("O1", malformed="lines"))
    _deliver_day(lake, 3, DAY2, _version("O4"), _version("O5"))
    passed, _, _, figures = quarantine_check(silver_run(lake, "run-2"))

    assert _kept(lake) == [("partition 2026-10-01", 1, 2), ("partition 2026-10-02", 2, 2)]
    # The whole table: 3 rows, 1 quarantined; day 1 has all its rows quarantined.
    assert (passed, figures["rows_in"], figures["rows_quarantined"]) == (False, 3, 1)
    assert figures["sources_over_fail_share"] == 1


def test_without_counts_of_the_recorded_version_bronze_is_counted_whole(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))
    _deliver_day(lake, 1, DAY1, _version("O1"), _version("O2"))
    silver_run(lake, "run-1")
    # Counts of another version (a run that failed after keeping them): not used.
    stale = pl.DataFrame({"source": ["partition 2026-10-01"], "rows": [99], BRONZE_VERSION: [7]})
    lake.replace_table(STATE, KEPT, stale)
    _deliver_day(lake, 2, DAY2, _version("O3"))

    _, _, _, figures = quarantine_check(silver_run(lake, "run-2"))

    assert figures["rows_in"] == 3
    assert _kept(lake) == [("partition 2026-10-01", 2, 1), ("partition 2026-10-02", 1, 1)]
