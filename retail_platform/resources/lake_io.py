"""`DeltaLakeIOManager`: assets return Polars frames and receive LazyFrames, never a path.

- an unpartitioned asset replaces its whole table (schema may change);
- a daily-partitioned asset replaces exactly the rows of its partition window, and refuses to
  write a row outside that window, so a wrong predicate can never widen to the whole table.

Both go through the lake resource's guarded writes (resources/lake.py), which lay the rows out
by the table's clustering columns (resources/lake_layout.py).
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
import polars as pl

from retail_platform.resources.lake import PARTITION_COLUMN, LakeResource


class DeltaLakeIOManager(dg.ConfigurableIOManager):
    """Stores each asset as the Delta table `<layer>/<table>` named by its asset key."""

    lake: LakeResource

    def handle_output(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame | None
    ) -> None:
        if obj is None:
            return
        if not isinstance(obj, pl.DataFrame | pl.LazyFrame):
            raise TypeError(
                f"{context.asset_key.to_user_string()}: a {type(obj).__name__} is published by "
                "the gold IO manager (quality/publish.py AuditedDeltaIOManager), not this one"
            )
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
