"""Reading a load's source in parts of whole partitions, so memory follows the part size.

The source is a LazyFrame (gold's audited version, time-travelled): a part is read with a
filter on the partition column, which the Delta scan pushes down to the files' statistics
(gold facts are clustered by their date key), so a part reads little more than its rows.
A full table is one part: full tables are the small ones (dimensions, marts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from retail_platform.resources.warehouse.plan import (
    WHOLE_TABLE,
    LoadPlan,
    PartitionDigest,
    check_rows,
    fingerprint,
    parquet_frame,
    partition_key_text,
    partition_value,
)

DEFAULT_PART_ROWS = 500_000


@dataclass(frozen=True)
class SourcePartition:
    key: str  # text form, as in the load state
    value: Any
    rows: int


def source_partitions(
    plan: LoadPlan, source: pl.LazyFrame, values: Sequence[Any] | None
) -> list[SourcePartition]:
    """The partitions of the source (only those in ``values`` unless None), sorted, with rows.

    One streaming pass over the partition column alone; a null partition value is refused
    with the column's name, as a part could not select it.
    """
    column = plan.partition_column
    if column is None:
        raise ValueError(f"{plan.table}: a full table has no partitions to list")
    scan = source.select(column)
    if values is not None:
        scan = scan.filter(pl.col(column).is_in(list(values)))
    counts = scan.group_by(column).agg(pl.len().alias("rows")).collect(engine="streaming")
    if counts.get_column(column).null_count():
        raise ValueError(f"{plan.table}: partition column {column} holds nulls")
    return [
        SourcePartition(partition_key_text(value), value, int(rows))
        for value, rows in counts.sort(column).iter_rows()
    ]


def group_parts(
    partitions: Sequence[SourcePartition], part_rows: int
) -> list[list[SourcePartition]]:
    """Consecutive partitions grouped until a group holds at least ``part_rows`` rows (a
    partition larger than that is a part of its own: partitions are never split, so a key's
    partition is staged whole and its fingerprint covers all its rows)."""
    parts: list[list[SourcePartition]] = []
    current: list[SourcePartition] = []
    held = 0
    for partition in partitions:
        current.append(partition)
        held += partition.rows
        if held >= part_rows:
            parts.append(current)
            current, held = [], 0
    if current:
        parts.append(current)
    return parts


class StagedFiles:
    """The Parquet files of one load, written part by part into the load's work folder."""

    def __init__(self, plan: LoadPlan, workdir: Path, load_id: str, loaded_at: datetime) -> None:
        self.plan, self.workdir, self.load_id, self.loaded_at = plan, workdir, load_id, loaded_at
        self.paths: list[Path] = []
        self.rows = 0
        workdir.mkdir(parents=True, exist_ok=True)

    def write(self, rows: pl.DataFrame) -> None:
        if not rows.height:
            return
        path = self.workdir / f"{self.plan.table.lower()}-{len(self.paths):05d}.parquet"
        # snappy: the codec every Parquet reader, Snowflake's COPY included, accepts
        parquet_frame(self.plan, rows, self.load_id, self.loaded_at).write_parquet(
            path, compression="snappy"
        )
        self.paths.append(path)
        self.rows += rows.height


@dataclass
class SourceRead:
    """What reading the source found: every partition read, and those that changed."""

    digests: dict[str, PartitionDigest] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)


def read_source(
    plan: LoadPlan,
    source: pl.LazyFrame,
    read_keys: set[str] | None,
    is_changed: Callable[[PartitionDigest], bool],
    files: StagedFiles,
    part_rows: int,
    stage_all: bool = False,
) -> SourceRead:
    """Fingerprint the partitions named by ``read_keys`` (all when None) part by part and
    write the changed ones' rows (every one's with ``stage_all``) to ``files``.

    Each part is sorted by partition then primary key inside the query, so a partition is a
    zero-copy slice already in fingerprint order: a part is held once, plus its Parquet file.
    """
    found = SourceRead()
    order = plan.primary_key or plan.column_names
    if plan.partition_column is None:
        if read_keys is not None and WHOLE_TABLE not in read_keys:
            return found
        rows = source.sort(order).collect(engine="streaming")
        check_rows(plan, rows)
        digest = PartitionDigest(
            WHOLE_TABLE, None, fingerprint(plan, rows, sorted_=True), rows.height
        )
        found.digests[WHOLE_TABLE] = digest
        if stage_all or is_changed(digest):
            found.changed.append(WHOLE_TABLE)
            files.write(rows)
        return found
    column = plan.partition_column
    values = (
        None if read_keys is None else [partition_value(k, plan.partition_dtype) for k in read_keys]
    )
    for part in group_parts(source_partitions(plan, source, values), part_rows):
        rows = (
            source.filter(pl.col(column).is_in([p.value for p in part]))
            .sort([column, *order])
            .collect(engine="streaming")
        )
        check_rows(plan, rows)
        offset, changed_here = 0, []
        for partition in part:
            slice_ = rows.slice(offset, partition.rows)
            offset += partition.rows
            if slice_.height != partition.rows or slice_[0, column] != partition.value:
                raise ValueError(f"{plan.table}: partition {partition.key} changed while read")
            digest = PartitionDigest(
                partition.key,
                partition.value,
                fingerprint(plan, slice_, sorted_=True),
                partition.rows,
            )
            found.digests[partition.key] = digest
            if stage_all or is_changed(digest):
                changed_here.append(partition.value)
                found.changed.append(partition.key)
        if len(changed_here) == len(part):
            files.write(rows)
        elif changed_here:
            files.write(rows.filter(pl.col(column).is_in(changed_here)))
    return found
