"""Worker phases that judge rather than build: peer equality, and hot-spot probes.

The probes time single platform functions that the per-step profile of the full build points
at, so the report can say which function costs what. They import the platform inside the
phase, so the equality check's worker does not pay for it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.equality import compare_gold
from benchmarks.workspace import PhaseContext

PROBE_SAMPLE_ROWS = 100_000


def check_engines(context: PhaseContext) -> dict[str, Any]:
    """For each engine output named in options["outputs"]: equal to the lake's gold or not."""
    reference = context.workspace.lake / "gold"
    verdicts = {}
    for engine, output in context.options["outputs"].items():
        differences = compare_gold(reference, Path(output["path"]), output["format"])
        verdicts[engine] = {"equal": not differences, "differences": differences}
    return {"engines": verdicts}


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _probe_keys(context: PhaseContext) -> dict[str, Any]:
    """The fact's surrogate keys with `transforms.keys.stable_key`, over every order line."""
    from retail_platform.transforms.keys import stable_key

    lines = pl.read_delta(str(context.workspace.table_path("silver", "order_lines")))
    lines = lines.select("order_id", "line_number", "product_id")
    # One distinct value per line: every line is hashed in Python.
    line_key = _timed(lambda: lines.select(stable_key("order_id", "line_number")))
    # A few thousand distinct values repeated over the lines: each is hashed once.
    product_key = _timed(lambda: lines.select(stable_key("product_id")))
    return {
        "function": "retail_platform/transforms/keys.py: stable_key",
        "rows": lines.height,
        "seconds_order_line_key": round(line_key, 3),
        "seconds_product_key": round(product_key, 3),
    }


def _probe_silver_orders(context: PhaseContext) -> dict[str, Any]:
    """validate_order_versions and latest_versions on a sample of bronze order versions."""
    from retail_platform.transforms.silver.latest import latest_versions as latest
    from retail_platform.transforms.silver.orders import validate_order_versions as validate

    bronze = pl.read_delta(str(context.workspace.table_path("bronze", "orders")))
    sample = bronze.head(PROBE_SAMPLE_ROWS)
    validated: dict[str, pl.DataFrame] = {}
    validate_seconds = _timed(
        lambda: validated.setdefault("frame", validate(sample.lazy()).collect())
    )
    valid = validated["frame"].filter(pl.col("_quarantine_reason").is_null())
    latest_seconds = _timed(lambda: latest(valid.lazy(), ["order_id"], "updated_at").collect())
    return {
        "function": "retail_platform/transforms/silver/orders.py",
        "sample_rows": sample.height,
        "bronze_rows": bronze.height,
        "seconds_validate_order_versions": round(validate_seconds, 3),
        "seconds_latest_versions": round(latest_seconds, 3),
    }


def hot_spot_probes(context: PhaseContext) -> dict[str, Any]:
    probes = {"stable_key": _probe_keys, "silver_orders": _probe_silver_orders}
    return {"probes": {name: probe(context) for name, probe in probes.items()}}
