"""Materialize the platform's layers through its Dagster Definitions, one run per layer.

Bronze is landed by the benchmark (the local stand-ins cannot serve SF1 in reasonable time), so
a layer here is every asset of the platform's group that the landed bronze tables can feed.
Each layer runs as `retail_platform.local.demo.run_pipeline` runs a stage: the implicit asset
job, in process, with the blocking asset checks of the selected assets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from benchmarks.measure import Measurement, measured
from benchmarks.memory import PeakRssSampler
from benchmarks.platform_api import GOLD_OUTPUTS

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
LAKE_LAYERS = ("silver", "gold")
# The quarantine tables are written by the silver assets, in a group of their own.
LAYER_GROUPS = {"silver": ("silver", "quarantine")}


class LayerSelectionError(RuntimeError):
    """A gold table needs a bronze table the benchmark does not generate."""


def bronze_feeding_gold(definitions: dg.Definitions) -> list[str]:
    """Names of the bronze tables the platform's gold group is built from."""
    graph = definitions.resolve_asset_graph()
    upstream = dg.AssetSelection.groups("gold").upstream() & dg.AssetSelection.groups("bronze")
    return sorted(key.path[-1] for key in upstream.resolve(graph))


def layer_keys(
    definitions: dg.Definitions,
    layer: str,
    landed_bronze: Collection[str],
    changed_bronze: Collection[str] | None = None,
) -> list[dg.AssetKey]:
    """Assets of the `layer` group that do not depend on a bronze table missing from the lake.

    With `changed_bronze`, only those downstream of these bronze tables: what automation
    would run after new data arrived in them.
    """
    graph = definitions.resolve_asset_graph()
    bronze = dg.AssetSelection.groups("bronze").resolve(graph)
    missing = [key for key in bronze if key.path[-1] not in landed_bronze]
    selection = dg.AssetSelection.groups(*LAYER_GROUPS.get(layer, (layer,)))
    if missing:
        selection = selection - dg.AssetSelection.assets(*missing).downstream()
    if changed_bronze is not None:
        changed = [key for key in bronze if key.path[-1] in changed_bronze]
        selection = selection & dg.AssetSelection.assets(*changed).downstream()
        return sorted(selection.resolve(graph))
    keys = sorted(selection.resolve(graph))
    if layer == "gold":
        unreachable = sorted(set(GOLD_OUTPUTS) - {key.path[-1] for key in keys})
        if unreachable:
            raise LayerSelectionError(
                f"gold tables {unreachable} need bronze tables the benchmark does not generate "
                f"(generated: {sorted(landed_bronze)}); extend benchmarks/datagen.py"
            )
    return keys


def record_landed_bronze(
    definitions: dg.Definitions, instance: dg.DagsterInstance, lake: Path, landed: Collection[str]
) -> None:
    """Tell Dagster the bronze the benchmark landed is materialized, partition by partition.

    Checks such as "bronze partitions complete" read that from the instance, as they would
    after a real ingestion run.
    """
    graph = definitions.resolve_asset_graph()
    for key in dg.AssetSelection.groups("bronze").resolve(graph):
        table = key.path[-1]
        if table not in landed:
            continue
        partitions: list[str | None] = [None]
        if graph.get(key).partitions_def is not None:
            days = pl.scan_delta(str(lake / "bronze" / table)).select(
                pl.col("_partition_date").unique()
            )
            partitions = sorted(day.isoformat() for day in days.collect().to_series())
        for partition in partitions:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=key, partition=partition)
            )


def materialize(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: Sequence[dg.AssetKey],
    days: tuple[date, date],
    sampler: PeakRssSampler,
) -> Measurement:
    """One layer: daily-partitioned assets over `days` (inclusive), then the others.

    rows = rows the layer wrote, from the `dagster/row_count` its IO manager reports.
    """
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_implicit_global_asset_job_def()
    partitioned = [key for key in keys if graph.get(key).partitions_def is not None]
    unpartitioned = [key for key in keys if key not in partitioned]
    range_tags = {
        "dagster/asset_partition_range_start": days[0].isoformat(),
        "dagster/asset_partition_range_end": days[1].isoformat(),
    }
    rows_by_asset: dict[str, int] = {}
    with measured(sampler) as measurement:
        for selection, tags in ((partitioned, range_tags), (unpartitioned, {})):
            if not selection:
                continue
            result = job.execute_in_process(
                instance=instance,
                asset_selection=selection,
                tags=tags,
                run_config=QUIET,
                raise_on_error=True,
            )
            # A warning (e.g. a few quarantined rows) is reported, not a reason to stop.
            failed = [
                e.check_name
                for e in result.get_asset_check_evaluations()
                if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
            ]
            if failed:
                raise RuntimeError(f"blocking asset checks failed: {failed}")
            spans = step_spans(instance, result.run_id)
            steps = {step: round(end - start, 3) for step, (start, end) in spans.items()}
            peaks = {step: sampler.peak_between(*span) for step, span in spans.items()}
            measurement.detail.setdefault("steps", {}).update(steps)
            measurement.detail.setdefault("step_peak_rss_bytes", {}).update(peaks)
            for event in result.get_asset_materialization_events():
                count = event.materialization.metadata.get("dagster/row_count")
                label = event.materialization.asset_key.to_user_string()
                # A partition-range run reports the output once per partition: count it once.
                rows_by_asset[label] = int(count.value) if count is not None else 0
        measurement.detail["rows"] = rows_by_asset
        measurement.rows = sum(rows_by_asset.values())
    return measurement


def step_spans(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """(start, end) epoch times of each step (asset or multi-asset) of a run, from its log."""
    started: dict[str, float] = {}
    spans: dict[str, tuple[float, float]] = {}
    of_type = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    for entry in instance.all_logs(run_id, of_type=of_type):
        step, event = entry.step_key, entry.dagster_event
        if step is None or event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[step] = entry.timestamp
        elif step in started:
            spans[step] = (started[step], entry.timestamp)
    return spans
