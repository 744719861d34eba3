"""A full silver rebuild in bounded memory: bronze read in chunks, one commit per table.

Validating all of bronze at once held every version of every key (orders: decoded lines and
bronze text too), then the latest-version selection over all of them, then the Delta writer
took the result whole: memory grew with the history. A full build or full refresh instead:

1. Reads bronze (one table version) in chunks of about ``chunk_rows`` consecutive rows, or of
   whole groups of ``SilverEntity.validated_per`` (a partner file's date formats are chosen on
   all its rows). Each chunk is masked and validated; its quarantine rows and its own latest
   valid version of each key (transforms/silver/latest.py within the chunk) are spilled to
   local Arrow IPC files. Only (key, version, chunk) of those chunk winners stays in memory,
   cut after each chunk to the rows at their key's highest version: key-sized state.
2. A key whose highest version only one chunk holds wins in that chunk. A key whose highest
   version several chunks hold (a re-delivered or tied version) is decided by the same rule
   over those chunks' candidates, the only rows read back for the purpose. The winner over
   all rows is the winner over each chunk's winner, so the result is the one-pass result.
3. The silver table, its child table (order lines) and the quarantine are each replaced in one
   commit from a stream of chunks (``LakeResource.replace_table_in_parts``); each chunk is
   audited before it is written and a failed audit commits nothing. Keys are unique across
   chunks by construction (one winner per key in the state), and order lines within an order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from retail_platform.assets.silver.cleaning import SilverEntity, require_audited, validate_rows
from retail_platform.contracts.model import TableContract
from retail_platform.quality.quarantine import quarantine_by_source_totals
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.latest import latest_versions
from retail_platform.transforms.silver.validation import REASON, quarantine_rows

# Rows of bronze validated at once. Validated orders weigh a few kB a row (decoded lines, bronze
# text, typed copies): 100,000 rows keep a chunk's validation in a few hundred MB.
CHUNK_ROWS = 100_000
# What quality/quarantine.py reads to name a row's source (partition, file or batch).
SOURCE_COLUMNS = frozenset({"_partition_date", "_source", "_source_key", "_batch_id"})
_CHUNK = "_chunk"


@dataclass(frozen=True)
class ChildTable:
    """A silver table derived from the entity's latest rows (order lines from orders)."""

    contract: TableContract
    parent_key: tuple[str, ...]
    build: Callable[[pl.LazyFrame], pl.LazyFrame]


@dataclass(frozen=True)
class Refreshed:
    counts: dict[str, int]
    by_source: pl.DataFrame
    written: dict[str, object]
    children_written: dict[str, object] | None
    quarantine_rows: int
    """Quarantine rows of the batches read (the whole table on a full rebuild)."""


def bronze_chunks(
    bronze: pl.LazyFrame, rows: int, group: str | None, folder: Path
) -> Iterator[pl.DataFrame]:
    """``bronze`` in slices of about ``rows`` rows (never splitting a ``group``); at least one
    slice, empty for an empty table, so that every output's schema is known.

    Slices are cut by position in one version of the table: each reads only its own rows.
    Groups spread over the table (a file's rows among other files', as after a compaction
    sorted bronze by another column) cannot be cut by position without holding them all at
    once: they are bucketed on disk under ``folder`` instead (``_bucketed``).
    """
    total = bronze.select(pl.len()).collect().item()
    starts: list[int] = [*range(0, total, rows)]
    if group is not None:
        spans = _group_spans(bronze, group)
        starts = [*_group_cuts(spans, rows)]
        ends = [*starts[1:], total]
        if max((end - start for start, end in zip(starts, ends, strict=True)), default=0) > (
            2 * rows
        ):
            yield from _bucketed(bronze, spans, group, rows, folder)
            return
    starts = starts or [0]
    for start, end in zip(starts, [*starts[1:], max(total, 1)], strict=True):
        yield bronze.slice(start, end - start).collect()


_BUCKET, _ROW = "_bucket", "_bronze_row"


def _group_spans(bronze: pl.LazyFrame, group: str) -> pl.DataFrame:
    """Each group's first row, end (last row + 1) and row count, by first row (one narrow
    scan, shared by the cuts and the buckets)."""
    return (
        bronze.select(group)
        .with_row_index(_ROW)
        .group_by(group)
        .agg(start=pl.col(_ROW).min(), end=pl.col(_ROW).max() + 1, rows=pl.len())
        .sort("start")
        .collect(engine="streaming")
    )


def _bucketed(
    bronze: pl.LazyFrame, spans: pl.DataFrame, group: str, rows: int, folder: Path
) -> Iterator[pl.DataFrame]:
    """Whole groups in buckets of about ``rows`` rows (in the order of each group's first
    row), written by one streaming pass to one spill file per bucket and read back one at a
    time, each in bronze's row order: memory holds a bucket, never the table."""
    # A group starts a new bucket once the rows before it fill `rows`: each bucket holds at
    # most `rows` plus one group.
    before = pl.col("rows").cum_sum() - pl.col("rows")
    buckets = spans.select(group, (before // rows).cast(pl.UInt32).alias(_BUCKET))
    folder.mkdir(parents=True, exist_ok=True)
    bronze.with_row_index(_ROW).join(
        buckets.lazy(), on=group, how="left", nulls_equal=True
    ).sink_ipc(
        pl.PartitionBy(
            str(folder), key=_BUCKET, include_key=False, approximate_bytes_per_file=None
        ),
        mkdir=True,
    )
    for bucket in buckets.get_column(_BUCKET).unique().sort():
        files = sorted((folder / f"{_BUCKET}={bucket}").glob("*.ipc"))
        chunk = pl.concat([pl.read_ipc(file) for file in files]).sort(_ROW).drop(_ROW)
        for file in files:  # the disk a rebuild needs stays about one copy of bronze
            file.unlink()
        yield chunk


def _group_cuts(spans: pl.DataFrame, rows: int) -> Iterator[int]:
    """Where slices may start so that each holds whole groups and about ``rows`` rows
    (``spans``: ``_group_spans``).

    A group's rows are consecutive when it was written at once (an S3 object's rows are);
    groups whose spans of rows overlap are kept in one slice, so the cut is right for any
    layout (interleaved groups only make slices larger).
    """
    chunk_start = reach = 0
    yield 0
    for start, end in spans.select("start", "end").iter_rows():
        # A cut before `start` is possible when no earlier group reaches past it.
        if start >= reach and start - chunk_start >= rows:
            yield start
            chunk_start = start
        reach = max(reach, end)


def _highest(state: pl.DataFrame, key: list[str], version: str) -> pl.DataFrame:
    """The state rows at their key's highest version (a null version loses to any other)."""
    highest = pl.col(version).max().over(key)
    return state.filter((pl.col(version) == highest) | highest.is_null())


class Spill:
    """Pass 1's output: each chunk's quarantine rows and latest valid rows on local disk, and
    which chunk each key's winner is in."""

    def __init__(self, folder: Path, entity: SilverEntity) -> None:
        self.folder, self.entity = folder, entity
        self.key, self.version = entity.key, entity.version_column
        self.chunks = 0
        self.rows_in = self.rows_valid = 0
        # (key, version, chunk) of the chunk winners; cut to each key's highest version only
        # when it doubled since the last cut: keys that never repeat (partner sales lines)
        # would otherwise be reduced again after every chunk.
        self._held: list[pl.DataFrame] = []
        self._held_rows = self._kept_rows = 0

    def _latest_path(self, chunk: int) -> Path:
        return self.folder / f"latest-{chunk}.arrow"

    def quarantine_path(self, chunk: int) -> Path:
        return self.folder / f"quarantine-{chunk}.arrow"

    def add(self, bronze_chunk: pl.DataFrame, pii_masking: PiiMaskingResource) -> None:
        """Validate one chunk and spill its quarantine rows and its latest valid rows."""
        entity, chunk = self.entity, self.chunks
        checked = validate_rows(bronze_chunk.lazy(), entity, pii_masking)
        validated, is_valid = checked.rows, pl.col(REASON).is_null()
        self.rows_in += checked.rows_in
        self.rows_valid += validated.get_column(REASON).null_count()
        rejected = validated.lazy().filter(~is_valid)
        quarantine_rows(rejected, entity.source.polars_schema).collect().write_ipc(
            self.quarantine_path(chunk), compression="lz4"
        )
        latest = latest_versions(validated.lazy().filter(is_valid), self.key, self.version)
        winners = latest.collect()
        winners.write_ipc(self._latest_path(chunk), compression="lz4")
        held = winners.select(*self.key, self.version, pl.lit(chunk, pl.UInt32).alias(_CHUNK))
        self._held.append(held)
        self._held_rows += held.height
        if self._held_rows > 2 * self._kept_rows:
            self.state()
        self.chunks += 1

    def state(self) -> pl.DataFrame:
        """(key, version, chunk): the chunks holding each key's highest valid version."""
        if self._held_rows == self._kept_rows and len(self._held) == 1:
            return self._held[0]  # nothing added since the last cut
        state = _highest(pl.concat(self._held), self.key, self.version)
        self._held, self._held_rows = [state], state.height
        self._kept_rows = state.height
        return state

    def distinct_keys(self) -> int:
        return self.state().select(self.key).unique().height

    def template(self) -> pl.LazyFrame:
        """No rows, the schema of the validated latest rows (for the outputs' schemas)."""
        return pl.scan_ipc(self._latest_path(0)).head(0)

    def winners(self) -> Iterator[pl.LazyFrame]:
        """The winning validated row of every key, chunk by chunk (each key once)."""
        key, state = self.key, self.state()
        holders = pl.len().over(key)
        shared = state.filter(holders > 1)
        # Split once: filtering the whole state per chunk would cost chunks x keys.
        single = state.filter(holders == 1).select(*key, _CHUNK).partition_by(_CHUNK, as_dict=True)
        for chunk in range(self.chunks):
            mine = single.pop((chunk,), None)
            if mine is not None:
                yield self._of_chunk(chunk, mine.select(key))
        if shared.height:
            candidates = [
                self._of_chunk(chunk, shared.filter(pl.col(_CHUNK) == chunk).select(key))
                for chunk in shared.get_column(_CHUNK).unique().sort()
            ]
            yield latest_versions(pl.concat(candidates), key, self.version)

    def _of_chunk(self, chunk: int, keys: pl.DataFrame) -> pl.LazyFrame:
        return pl.scan_ipc(self._latest_path(chunk)).join(
            keys.lazy(), on=self.key, how="semi", nulls_equal=True
        )


def _write(
    lake: LakeResource,
    contract: TableContract,
    spill: Spill,
    transform: Callable[[pl.LazyFrame], pl.LazyFrame],
) -> int:
    """Replace ``contract``'s silver table by ``transform`` of the winners, in one commit."""

    def parts() -> Iterator[pl.DataFrame]:
        for winners in spill.winners():
            part = transform(winners).collect()
            require_audited(contract, part, lake)
            yield part

    schema = transform(spill.template()).collect_schema()
    return lake.replace_table_in_parts("silver", contract.name, parts(), schema)


def rebuild(
    lake: LakeResource,
    entity: SilverEntity,
    pii_masking: PiiMaskingResource,
    bronze_version: int,
    children: ChildTable | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Refreshed:
    """Replace the entity's silver table(s) and quarantine from all of bronze (module doc)."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    bronze = lake.scan("bronze", entity.bronze_table, bronze_version)
    with tempfile.TemporaryDirectory(prefix=f"silver-{entity.silver.name}-") as folder:
        spill = Spill(Path(folder), entity)
        chunks = bronze_chunks(bronze, chunk_rows, entity.validated_per, Path(folder) / "bronze")
        for chunk in chunks:
            spill.add(chunk, pii_masking)
        latest = _write(lake, entity.silver, spill, entity.finish)
        children_written = None
        if children is not None:
            lines = _write(lake, children.contract, spill, children.build)
            children_written = {"rows_merged": lines, "rebuilt": True}
        quarantine = lake.replace_table_in_parts(
            "silver",
            entity.quarantine.name,
            (pl.read_ipc(spill.quarantine_path(chunk)) for chunk in range(spill.chunks)),
            pl.scan_ipc(spill.quarantine_path(0)).collect_schema(),
        )
    rows_valid = spill.rows_valid
    counts = {
        "rows_in": spill.rows_in,
        "rows_valid": rows_valid,
        "rows_quarantined": spill.rows_in - rows_valid,
        # Counted in the state of every chunk's valid keys, apart from the rows written.
        "distinct_keys": spill.distinct_keys(),
        "rows_latest": latest,
        "versions_superseded": rows_valid - latest,
    }
    # Per source from bronze's ingestion columns (a narrow scan), quarantined rows from the
    # quarantine table just written: the same table-wide judgement as an incremental run's.
    names = bronze.collect_schema().names()
    by_source = quarantine_by_source_totals(
        bronze.select(sorted(SOURCE_COLUMNS.intersection(names))),
        lake.scan("silver", entity.quarantine.name),
    )
    written = {"rows_merged": latest, "rebuilt": True, "bronze_chunks": spill.chunks}
    return Refreshed(counts, by_source, written, children_written, quarantine)
