"""Delta's change data feed (CDF) of silver and gold tables: what changed since a version.

Silver and gold tables are written with the table property `delta.enableChangeDataFeed=true`
(at creation; a table created without it gets it set before its next write). deltalake then
records, for every MERGE, DELETE and overwrite (with or without predicate), the rows removed
(`_change_type` `delete` / `update_preimage`) and added (`insert` / `update_postimage`). A gold
consumer reads the changes after the version it consumed last: pre-images give the old values
(an order's old date), post-images the new ones (docs/data-model.md "Incremental refresh").

Bronze is not written with a change feed: silver reads bronze by batch (lake_progress.py), and
a feed would double the bytes of every replaced bronze partition. Quarantine tables neither:
nothing downstream reads their changes.

`LakeResource` is the only caller (it knows where tables live).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from retail_platform.resources.lake_progress import overwrites_everything

if TYPE_CHECKING:  # delta-rs and Arrow are imported where used (code location load time)
    from deltalake import DeltaTable

CHANGE_FEED = "delta.enableChangeDataFeed"
CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
COMMIT_TIMESTAMP = "_commit_timestamp"
CHANGE_COLUMNS = (CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP)
CHANGE_FEED_LAYERS = frozenset({"silver", "gold"})
# Row images: the values a changed row had before (removed) and has after (added).
BEFORE = ("delete", "update_preimage")
AFTER = ("insert", "update_postimage")


def wants_change_feed(layer: str, table: str) -> bool:
    return layer in CHANGE_FEED_LAYERS and not table.endswith("_quarantine")


def change_feed_configuration(layer: str, table: str) -> dict[str, str | None] | None:
    """The `configuration=` of a table's creating write."""
    return {CHANGE_FEED: "true"} if wants_change_feed(layer, table) else None


def has_change_feed(table: DeltaTable) -> bool:
    return str(table.metadata().configuration.get(CHANGE_FEED, "")).lower() == "true"


def ensure_change_feed(uri: str, options: dict[str, str]) -> bool:
    """Turn the feed on for an existing table that lacks it (one commit); True if it did.

    The versions before cannot be read as changes: a consumer positioned there rebuilds in
    full (has_change_feed of that version is false), which is what makes this safe.
    """
    from deltalake import DeltaTable

    table = DeltaTable(uri, storage_options=options or None)
    if has_change_feed(table):
        return False
    table.alter.set_table_properties({CHANGE_FEED: "true"})
    return True


def replaced_whole_after(uri: str, options: dict[str, str], since_version: int) -> bool:
    """A commit after `since_version` overwrote the table without a predicate."""
    from deltalake import DeltaTable

    table = DeltaTable(uri, storage_options=options or None)
    newer = max(table.version() - since_version, 1)
    return any(
        overwrites_everything(entry)
        for entry in table.history(limit=newer)
        if int(entry["version"]) > since_version
    )


def read_changes(
    uri: str,
    options: dict[str, str],
    since_version: int,
    until_version: int | None = None,
    columns: Sequence[str] | None = None,
    net_on_columns: bool = False,
    net: bool = True,
) -> pl.DataFrame | None:
    """The change rows of the commits after `since_version` up to `until_version` (default:
    the latest), with `_change_type` and `_commit_version`; None when they cannot be read as
    changes: the feed was off at `since_version` or is off now, that version was vacuumed or
    lies ahead of the table, or the range crosses a schema change the feed cannot span.

    Only the changes are read (their size is the size of the new data, not of the history),
    and only the net ones (`net_changes`): a slice replaced with rows equal to the old ones
    changes nothing downstream. Images cancel when equal in every column, or with
    `net_on_columns` in the `columns` asked for only (then only those are read from the change
    files): for a reader whose result depends on those columns alone, a change elsewhere in a
    row changes nothing. `net=False`: every image as written (a check that only needs what
    was written since, and verifies its few offenders against the table, skips the netting,
    whose cost is a group-by on every column of every image).
    """
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    try:
        current = DeltaTable(uri, storage_options=options or None)
        latest = current.version()
        until = latest if until_version is None else until_version
        if not 0 <= since_version <= until <= latest or not has_change_feed(current):
            return None
        before = DeltaTable(uri, version=since_version, storage_options=options or None)
        if not has_change_feed(before):
            return None
        wanted = list(columns) if columns is not None else None
        if since_version == until:
            scan = pl.scan_delta(uri, version=since_version, storage_options=options or None)
            empty = pl.DataFrame(schema=scan.collect_schema())
            empty = empty.select(wanted) if wanted is not None else empty
            return empty.with_columns(
                pl.lit(None, pl.String).alias(CHANGE_TYPE),
                pl.lit(None, pl.Int64).alias(COMMIT_VERSION),
            )
        # Every column is read (unless the caller nets on its own): an image cancels only
        # against one equal in every column.
        pruned = (net_on_columns or not net) and wanted is not None
        reader = current.load_cdf(
            starting_version=since_version + 1,
            ending_version=until,
            columns=[*wanted, CHANGE_TYPE, COMMIT_VERSION] if pruned and wanted else None,
        )
        # Straight from the Arrow stream: pa.table() would import pandas (about 1 s, once).
        frame = pl.DataFrame(reader)
        frame = frame.with_columns(pl.col(COMMIT_VERSION).cast(pl.Int64)).drop(
            COMMIT_TIMESTAMP, strict=False
        )
        frame = net_changes(frame) if net else frame
        if wanted is not None:
            frame = frame.select(*wanted, CHANGE_TYPE, COMMIT_VERSION)
    except (DeltaError, OSError, pa.ArrowException, pl.exceptions.PolarsError):
        return None  # unreadable as changes: the caller plans a full rebuild
    return frame


def net_changes(changes: pl.DataFrame) -> pl.DataFrame:
    """The change rows without the images that cancel out over the range.

    An overwrite of a slice deletes every row of the slice and inserts the new rows, most of
    them equal to the old ones; a merge updates matched rows even when nothing in them differs.
    Counted per row image (every column but the change type and version): images gained minus
    images lost. What is left is each image's net count, as rows lost (at the first version
    and with the change type that lost it) or gained (at the last version and type that gained
    it), so a reader of images before and after the range sees the same rows as from the raw
    feed.
    """
    data = [name for name in changes.columns if name not in (CHANGE_TYPE, COMMIT_VERSION)]
    if changes.is_empty() or not data:
        return changes
    lost = pl.col(CHANGE_TYPE).is_in(BEFORE)
    signed = changes.with_columns(_sign=pl.when(lost).then(-1).otherwise(1))
    # Most images cancel (an overwritten slice re-inserts equal rows): a plain count per image
    # first, so the costlier aggregation below runs on the images that do not.
    left = (
        signed.group_by(data)
        .agg(_net=pl.col("_sign").sum())
        .filter(pl.col("_net") != 0)
        .select(data)
    )
    if left.is_empty():
        return changes.head(0)
    if left.height == changes.height:
        # Every row is an image of its own that nothing cancels (a merge's feed of real
        # differences): already net, and the aggregation below would give back each row.
        return changes.select(*data, CHANGE_TYPE, COMMIT_VERSION)
    counted = (
        signed.join(left, on=data, how="semi", nulls_equal=True)
        .group_by(data, maintain_order=True)
        .agg(
            _net=pl.col("_sign").sum(),
            _first_lost=pl.col(COMMIT_VERSION).filter(pl.col("_sign") < 0).min(),
            _last_gained=pl.col(COMMIT_VERSION).filter(pl.col("_sign") > 0).max(),
            _lost_as=pl.col(CHANGE_TYPE)
            .filter(pl.col("_sign") < 0)
            .sort_by(pl.col(COMMIT_VERSION).filter(pl.col("_sign") < 0))
            .first(),
            _gained_as=pl.col(CHANGE_TYPE)
            .filter(pl.col("_sign") > 0)
            .sort_by(pl.col(COMMIT_VERSION).filter(pl.col("_sign") > 0))
            .last(),
        )
        .filter(pl.col("_net") != 0)
    )
    removed = pl.col("_net") < 0
    images = counted.select(
        *data,
        pl.when(removed)
        .then(pl.col("_lost_as"))
        .otherwise(pl.col("_gained_as"))
        .alias(CHANGE_TYPE),
        pl.when(removed)
        .then(pl.col("_first_lost"))
        .otherwise(pl.col("_last_gained"))
        .cast(changes.schema[COMMIT_VERSION])
        .alias(COMMIT_VERSION),
    )
    repeats = counted.get_column("_net").abs()
    if (repeats > 1).any():  # equal rows held more than once: one image per copy
        images = images.gather(pl.int_range(images.height, eager=True).repeat_by(repeats).explode())
    return images
