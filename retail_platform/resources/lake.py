"""The lakehouse storage: Delta tables under one root, local folder or object store.

`LakeResource` is the only code that knows where tables live. `DeltaLakeIOManager` lets assets
return Polars frames and receive LazyFrames without ever naming a path:

- an unpartitioned asset replaces its whole table (schema may change);
- a daily-partitioned asset replaces exactly the rows of its partition window, and refuses to
  write a row outside that window, so a wrong predicate can never widen to the whole table.
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
import polars as pl
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError
from pydantic import Field

PARTITION_COLUMN = "_partition_date"


class LakeResource(dg.ConfigurableResource):
    """Delta tables at `<root>/<layer>/<table>`."""

    root: str = Field(description="Folder path or object-store URI (s3://bucket/prefix).")
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="delta-rs storage options (endpoint, region, ...)."
    )

    def table_uri(self, layer: str, table: str) -> str:
        return f"{self.root.rstrip('/')}/{layer}/{table}"

    def exists(self, layer: str, table: str) -> bool:
        return DeltaTable.is_deltatable(self.table_uri(layer, table), self._options())

    def scan(self, layer: str, table: str) -> pl.LazyFrame:
        uri = self.table_uri(layer, table)
        if not self.exists(layer, table):
            raise TableNotFoundError(
                f"Delta table {layer}.{table} does not exist yet at {uri}: materialize it first"
            )
        return pl.scan_delta(uri, storage_options=self._options() or None)

    def version(self, layer: str, table: str) -> int:
        return DeltaTable(self.table_uri(layer, table), storage_options=self._options()).version()

    def replace_table(self, layer: str, table: str, frame: pl.DataFrame) -> None:
        write_deltalake(
            self.table_uri(layer, table),
            frame.to_arrow(),
            mode="overwrite",
            schema_mode="overwrite",
            storage_options=self._options() or None,
        )

    def replace_date_window(
        self, layer: str, table: str, frame: pl.DataFrame, start: date, end: date
    ) -> None:
        """Atomically replace the rows whose partition date is in [start, end)."""
        outside = frame.filter(
            (pl.col(PARTITION_COLUMN) < start)
            | (pl.col(PARTITION_COLUMN) >= end)
            | pl.col(PARTITION_COLUMN).is_null()
        ).height
        if outside:
            raise ValueError(
                f"{layer}.{table}: {outside} rows fall outside the partition window "
                f"[{start}, {end}); refusing to write them"
            )
        uri = self.table_uri(layer, table)
        if not self.exists(layer, table):
            write_deltalake(
                uri, frame.to_arrow(), mode="overwrite", storage_options=self._options() or None
            )
            return
        # Literal dates come from the partition window (typed `date`), never from data.
        column = PARTITION_COLUMN
        predicate = f"{column} >= '{start.isoformat()}' AND {column} < '{end.isoformat()}'"
        write_deltalake(
            uri,
            frame.to_arrow(),
            mode="overwrite",
            predicate=predicate,
            schema_mode="merge",
            storage_options=self._options() or None,
        )

    def _options(self) -> dict[str, str]:
        return dict(self.storage_options)


class DeltaLakeIOManager(dg.ConfigurableIOManager):
    """Stores each asset as the Delta table `<layer>/<table>` named by its asset key."""

    lake: LakeResource

    def handle_output(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame | None
    ) -> None:
        if obj is None:
            return
        frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
        layer, table = _layer_and_table(context.asset_key)
        if context.has_asset_partitions:
            window = context.asset_partitions_time_window
            self.lake.replace_date_window(
                layer, table, frame, _as_date(window.start), _as_date(window.end)
            )
        else:
            self.lake.replace_table(layer, table, frame)
        context.add_output_metadata(
            {
                "dagster/row_count": frame.height,
                "delta_version": self.lake.version(layer, table),
                "table": f"{layer}.{table}",
            }
        )

    def load_input(self, context: dg.InputContext) -> pl.LazyFrame:
        layer, table = _layer_and_table(context.asset_key)
        frame = self.lake.scan(layer, table)
        if context.has_asset_partitions and _is_time_partitioned(context):
            window = context.asset_partitions_time_window
            frame = frame.filter(
                pl.col(PARTITION_COLUMN).is_between(
                    _as_date(window.start), _as_date(window.end), closed="left"
                )
            )
        return frame


def _layer_and_table(asset_key: dg.AssetKey) -> tuple[str, str]:
    if len(asset_key.path) != 2:
        raise ValueError(f"asset key {asset_key.to_user_string()} is not <layer>/<table>")
    layer, table = asset_key.path
    return layer, table


def _is_time_partitioned(context: dg.InputContext) -> bool:
    return isinstance(context.asset_partitions_def, dg.TimeWindowPartitionsDefinition)


def _as_date(moment: datetime) -> date:
    return moment.date()
