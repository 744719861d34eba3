"""Bronze's rows per source (file, partition, batch), kept from one silver run to the next.

The quarantine check judges the whole table on every run (quality/quarantine.py): it needs
bronze's rows per source. A full build counts them from bronze's ingestion columns; each run
keeps the counts at the bronze version it consumed (a small Delta table beside the progress
log), and an incremental run moves them by the rows of the batches it read, instead of
scanning the history's ingestion columns again.
"""

from __future__ import annotations

import polars as pl

from retail_platform.assets.silver.cleaning import SilverEntity
from retail_platform.assets.silver.rebuild import SOURCE_COLUMNS
from retail_platform.quality.quarantine import (
    SOURCE,
    WHOLE_TABLE,
    rows_per_source,
    rows_per_source_after,
)
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import BATCH_COLUMN
from retail_platform.transforms.silver.keys import among

# Small state kept between runs, in the lake beside the progress log.
STATE, BRONZE_VERSION = "_state", "bronze_version"


def _state_table(entity: SilverEntity) -> str:
    return f"silver/{entity.quarantine.name}/rows_per_source"


def rows_per_source_now(
    lake: LakeResource,
    entity: SilverEntity,
    versions: tuple[int | None, int],
    batches: list[str],
    batch_rows: pl.DataFrame,
) -> pl.LazyFrame:
    """Bronze's rows per source at the version read, ``versions[1]``, from those kept at the
    version read before, ``versions[0]``, and ``batch_rows`` (the rows of the ingestion
    ``batches`` read).

    Rows outside the batches read are those of the version read before (a file holding one
    left, or entered, bronze and put its batch among them): the counts kept at that version
    move by the batches' rows then and now. Without counts of that version (the first run
    after this state existed, a failed run), bronze's source columns are counted whole."""
    (since, version), table = versions, entity.bronze_table
    state = _state_table(entity)
    bronze = lake.scan("bronze", table, version)
    names = sorted(SOURCE_COLUMNS.intersection(bronze.collect_schema().names()))
    kept = lake.scan(STATE, state) if lake.exists(STATE, state) else None
    if kept is not None:
        kept = kept.filter(pl.col(BRONZE_VERSION) == since).collect()
    if kept is None or kept.is_empty() or since is None:
        return rows_per_source(bronze.select(names))
    if batches:
        of_batches = among(pl.Series(BATCH_COLUMN, batches, pl.String))
        before = lake.scan("bronze", table, since).filter(of_batches)
        removed = before.select(names)
    else:
        removed = bronze.select(names).head(0)
    return rows_per_source_after(kept.lazy(), removed, batch_rows.lazy().select(names))


def keep_rows_per_source(
    lake: LakeResource, entity: SilverEntity, bronze_version: int, by_source: pl.DataFrame
) -> None:
    """Keep bronze's rows per source at the version consumed, for the next run (one small
    commit; the whole-table row is the sum, recomputed)."""
    per_source = by_source.filter(pl.col(SOURCE) != WHOLE_TABLE).select(
        SOURCE, pl.col("rows").cast(pl.Int64), pl.lit(bronze_version).alias(BRONZE_VERSION)
    )
    lake.replace_table(STATE, _state_table(entity), per_source)
