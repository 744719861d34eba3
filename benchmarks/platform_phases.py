"""Worker phases that run the platform: land bronze, full build, incremental run, I/O floor.

Each phase runs in its own worker process (see `worker`) and returns JSON-ready results.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl
from deltalake import write_deltalake

from benchmarks import platform_api
from benchmarks.datagen import CORE_TABLES, PARTITION, BronzeData, generate_bronze_pieces
from benchmarks.measure import Measurement, combined, measured
from benchmarks.pipeline import (
    LAKE_LAYERS,
    bronze_feeding_gold,
    layer_keys,
    materialize,
    record_landed_bronze,
)
from benchmarks.rewrites import rewrites_since, table_versions
from benchmarks.workspace import PhaseContext


def landed_bronze(context: PhaseContext) -> list[str]:
    bronze = context.workspace.lake / "bronze"
    return sorted(path.name for path in bronze.iterdir()) if bronze.exists() else []


def land(context: PhaseContext) -> dict[str, Any]:
    """Generate bronze at the scale factor and write the full build's part to the lake; keep
    the new day's part for the incremental phase."""
    workspace = context.workspace
    window = context.window
    shutil.rmtree(workspace.lake, ignore_errors=True)
    platform_api.record_data_window(
        workspace.root, context.seed, context.scale_factor, window.new_day, window.days
    )
    needed = bronze_feeding_gold(platform_api.build_definitions())
    tables = tuple(dict.fromkeys([*CORE_TABLES, *needed]))
    lake = platform_api.lake_resource(str(workspace.lake))
    # Piece by piece (datagen): generated, then landed (the first piece of a table replaces
    # it, the others are appended), so that memory holds one piece, not the whole history.
    pieces = generate_bronze_pieces(context.scale_factor, context.seed, tables, window)
    generation: list[Measurement] = []
    landing: list[Measurement] = []
    landed_rows: dict[str, int] = {}
    delivered: dict[str, list[pl.DataFrame]] = {}
    unknown: dict[str, list[str]] = {}
    late_versions = 0
    while True:
        with measured(context.sampler) as generated:
            data = next(pieces, None)
        if data is None:
            break
        generation.append(generated)
        with measured(context.sampler) as landed:
            for name, frame in data.full_build().items():
                if name in landed_rows:
                    if frame.height:  # the late versions' piece has no full-build rows
                        lake.append("bronze", name, frame)
                else:
                    lake.replace_table("bronze", name, frame)
                landed_rows[name] = landed_rows.get(name, 0) + frame.height
                landed.rows += frame.height
        landing.append(landed)
        for name, frame in data.incremental_delivery().items():
            delivered.setdefault(name, []).append(frame)
        unknown |= data.unknown_columns
        late_versions += late_order_versions(data)
    workspace.incremental_delivery.mkdir(parents=True, exist_ok=True)
    delivery_rows = {}
    for name, frames in delivered.items():
        frame = pl.concat(frames)
        frame.write_parquet(workspace.incremental_delivery / f"{name}.parquet")
        delivery_rows[name] = frame.height
    landing_total = combined(landing)
    landing_total.detail = landed_rows
    return {
        "generation": combined(generation).to_json() | {"pieces": len(generation)},
        "landing": landing_total.to_json(),
        "incremental_delivery_rows": delivery_rows,
        "incremental_late_order_versions": late_versions,
        "unknown_columns": unknown,
    }


def late_order_versions(data: BronzeData) -> int:
    """Versions the incremental day delivers of orders placed on earlier days."""
    orders = data.incremental_delivery().get("orders")
    if orders is None:
        return 0
    placed = pl.col("created_at").str.slice(0, 10)
    return orders.filter(placed < data.window.new_day.isoformat()).height


def full_build(context: PhaseContext) -> dict[str, Any]:
    """silver and gold (and the warehouse when asked) through Dagster, one layer at a time."""
    layers = [*LAKE_LAYERS, *(["warehouse"] if context.options.get("warehouse") else [])]
    return _run_layers(context, layers, context.window.full_build_days)


def incremental(context: PhaseContext) -> dict[str, Any]:
    """Add the next day to bronze, then run what depends on it.

    The day is what a night brings (datagen): the new partitions of the dated feeds, which
    carry late versions of orders placed on earlier days too, written as the REST assets write
    a day; and the day's partner sales files, written as the S3 asset writes new objects (their
    rows replaced by key). Every silver and gold asset downstream of those bronze tables is
    re-run (daily-partitioned ones for the new day only), as automation would after the
    delivery; what that costs against the full build is the measurement. What the run's
    commits added to and removed from each silver, quarantine and gold table is read from the
    Delta logs afterwards (`rewrites`).
    """
    day = context.window.new_day
    full_build_versions = table_versions(context.workspace.lake)
    lake = platform_api.lake_resource(str(context.workspace.lake))
    delivered = sorted(context.workspace.incremental_delivery.glob("*.parquet"))
    with measured(context.sampler) as landing:
        for path in delivered:
            frame = pl.read_parquet(path)
            if PARTITION in frame.columns:
                lake.replace_date_window("bronze", path.stem, frame, day, day + timedelta(days=1))
            else:
                files = frame.get_column("_source_key").unique().sort().to_list()
                if files:
                    lake.replace_keys("bronze", path.stem, frame, "_source_key", files)
            landing.rows += frame.height
            landing.detail[path.stem] = frame.height
    changed = [path.stem for path in delivered]
    result = _run_layers(context, list(LAKE_LAYERS), (day, day), changed)
    # Untimed: read from the Delta logs after the run.
    rewrites = rewrites_since(context.workspace.lake, full_build_versions)
    return result | {"landing": landing.to_json(), "rewrites": rewrites}


def _run_layers(
    context: PhaseContext,
    layers: list[str],
    days: tuple[date, date],
    changed_bronze: list[str] | None = None,
) -> dict[str, Any]:
    with measured(context.sampler) as loading:
        definitions = platform_api.build_definitions()
        definitions.resolve_implicit_global_asset_job_def()
    landed = landed_bronze(context)
    measurements: dict[str, Measurement] = {}
    with dg.DagsterInstance.ephemeral() as instance:
        record_landed_bronze(definitions, instance, context.workspace.lake, landed)
        for layer in layers:
            keys = layer_keys(definitions, layer, landed, changed_bronze)
            measurements[layer] = materialize(definitions, instance, keys, days, context.sampler)
    lake_total = combined([measurements[layer] for layer in LAKE_LAYERS])
    return {
        "definitions_load": loading.to_json(),
        "layers": {layer: m.to_json() for layer, m in measurements.items()},
        "lake_total": lake_total.to_json(),
    }


def sources_sample(context: PhaseContext) -> dict[str, Any]:
    """Every stage of the demo pipeline over the running local stack (its own small dataset)."""
    stages = platform_api.demo_stages()
    definitions = platform_api.build_definitions()
    first_day = date.fromisoformat(context.options["first_day"])
    days = (first_day, first_day + timedelta(days=int(context.options["days"]) - 1))
    results = {}
    with dg.DagsterInstance.ephemeral() as instance:
        graph = definitions.resolve_asset_graph()
        for stage in stages:
            keys = sorted(stage.selection.resolve(graph))
            results[stage.title] = materialize(
                definitions, instance, keys, days, context.sampler
            ).to_json()
    return {"stages": results}


def gold_with_transforms(context: PhaseContext) -> dict[str, Any]:
    """The gold build with the platform's gold assets: read silver, build, write Delta."""
    workspace = context.workspace
    output = workspace.engine_output("polars")
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with measured(context.sampler) as build:
        # The output folder is empty here: every gold table builds as on a first run, and the
        # assets write it under output/gold themselves.
        silver_root = workspace.table_path("silver", platform_api.SILVER_INPUTS[0]).parent
        build.rows += sum(platform_api.build_gold(silver_root, output).values())
    return {"build": build.to_json(), "format": "delta", "path": str(output / "gold")}


def io_floor(context: PhaseContext) -> dict[str, Any]:
    """Read the inputs the lake layers read and write the tables they write; no transformation.

    The outputs are the full build's own silver and gold tables, loaded (untimed) beforehand,
    written with the same Delta writer the platform uses.
    """
    workspace = context.workspace
    outputs = {
        f"{layer}/{path.name}": pl.read_delta(str(path))
        for layer in LAKE_LAYERS
        for path in sorted((workspace.lake / layer).iterdir())
    }
    shutil.rmtree(workspace.floor_output, ignore_errors=True)
    with measured(context.sampler) as floor:
        for name in landed_bronze(context):
            floor.rows += pl.read_delta(str(workspace.table_path("bronze", name))).height
        for name, frame in outputs.items():
            write_deltalake(str(workspace.floor_output / name), frame.to_arrow(), mode="overwrite")
    floor.detail = {"tables_written": len(outputs), "bronze_rows_read": floor.rows}
    return {"floor": floor.to_json()}
