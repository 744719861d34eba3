"""Hot spots in code the benchmark may not change: where, what it costs here, what would fix it.

Costs come from the run (the per-step profile of the full build and the probes); the causes
were found by profiling the functions named (see docs/benchmarks.md, "Hot spots").
"""

from __future__ import annotations

from typing import Any

from benchmarks.pipeline import LAKE_LAYERS
from benchmarks.rewrites import rewritten_share
from benchmarks.summary import (
    history_days,
    incremental_share,
    late_window_days,
    layer_peaks,
    pipeline_peak_bytes,
)

GIB = 1024**3
WHOLE_TABLE_SHARE = 0.9  # of a table's bytes: rewritten (nearly) whole


def _steps(results: dict[str, Any]) -> dict[str, float]:
    """Seconds per step of the lake layers (the warehouse layer is a stand-in, kept apart)."""
    steps: dict[str, float] = {}
    for name, layer in results.get("full_build", {}).get("layers", {}).items():
        if name in LAKE_LAYERS:
            steps |= layer.get("detail", {}).get("steps", {})
    return steps


def _probe(results: dict[str, Any], name: str) -> dict[str, Any]:
    outcome = results.get("probes") or {}
    if outcome.get("status") != "ok":
        return {}
    probe = outcome["result"]["probes"].get(name, {})
    return {} if "unavailable" in probe else probe


def _duckdb_key_udf(results: dict[str, Any]) -> str:
    """' (N s of its M s build)': the DuckDB peer's seconds in its key UDF, last round."""
    runs = (results.get("gold") or {}).get("runs", {}).get("duckdb") or []
    done = [run["result"] for run in runs if run.get("status") == "ok"]
    if not done or "key_udf" not in done[-1]:
        return ""
    udf, build = done[-1]["key_udf"]["seconds"], done[-1]["build"]["seconds"]
    return f" ({udf:.1f} s of its {build:.1f} s build)"


def _incremental_layers(results: dict[str, Any]) -> str:
    """Where the incremental run's time goes, layer by layer and in its slowest gold steps."""
    incremental = results.get("incremental") or {}
    if incremental.get("status") != "ok":
        return ""
    layers = incremental["result"]["layers"]
    full = results.get("full_build", {}).get("layers", {})
    parts = []
    for layer in ("silver", "gold"):
        again, whole = layers.get(layer, {}).get("seconds"), full.get(layer, {}).get("seconds")
        if again and whole:
            parts.append(f"{layer} {again:.1f} s against {whole:.1f} s in the full build")
    full_steps = _steps(results)
    gold_steps = layers.get("gold", {}).get("detail", {}).get("steps", {})
    slowest = sorted(
        (item for item in gold_steps.items() if not item[0].endswith("_checks")),
        key=lambda item: item[1],
        reverse=True,
    )[:4]
    for step, seconds in slowest:
        before = full_steps.get(step)
        against = f" (full build {before:.1f} s)" if before is not None else ""
        parts.append(f"{step.removeprefix('gold__')} {seconds:.1f} s{against}")
    return f" Here: {'; '.join(parts)}." if parts else ""


def _rewritten_whole(results: dict[str, Any]) -> str:
    """The tables the incremental run's commits rewrote (nearly) whole, from the Delta logs."""
    incremental = results.get("incremental") or {}
    rewrites = (incremental.get("result") or {}).get("rewrites") or {}
    whole = sorted(
        name
        for name, done in rewrites.items()
        if (rewritten_share(done) or 0.0) >= WHOLE_TABLE_SHARE
    )
    if not whole:
        return ""
    written = sum(done["bytes_added"] for done in rewrites.values()) / 1024**2
    single = sum(1 for name in whole if rewrites[name]["table_files_after"] <= 1)
    return (
        f" The run's commits rewrote {len(whole)} of the {len(rewrites)} tables they touched "
        f"(nearly) whole ({', '.join(whole)}; {single} of them held in one data file) and wrote "
        f"{written:,.0f} MiB in all."
    )


def _lake_peak(results: dict[str, Any]) -> int:
    """The highest peak of the lake layers (silver, gold) in the full build and the night."""
    peaks = layer_peaks(results)
    return max((peak for (_, layer), peak in peaks.items() if layer in LAKE_LAYERS), default=0)


def _warehouse_memory(results: dict[str, Any]) -> str:
    """What the warehouse layer's peak holds, when it is the pipeline's peak."""
    layers = results.get("full_build", {}).get("layers", {})
    warehouse = layers.get("warehouse", {}).get("peak_rss_bytes", 0)
    lake = _lake_peak(results)
    if not warehouse or warehouse <= lake:
        return ""
    return (
        f" The warehouse layer's {warehouse / GIB:.2f} GiB is the loader's own (the fakesnow "
        "stand-in runs in the benchmark's stack, outside the measured process tree). A load "
        "reads only the dates gold's change feed names since the version Snowflake last "
        "received (and any date whose Snowflake row count drifted), in parts of whole dates "
        "of about 500,000 rows, each fingerprinted and staged as its own Parquet file before "
        "one COPY and one swap (`assets/warehouse/load.py`, `resources/warehouse/parts.py`): "
        "a first load or a rebuild reads every date, but never more than a part at a time. "
        f"Silver and gold peak at {lake / GIB:.2f} GiB."
    )


def _peak_layer(results: dict[str, Any]) -> str:
    """Where the pipeline's peak was: "the full build's gold layer", ..."""
    peaks = layer_peaks(results)
    if not peaks:
        return "?"
    run, layer = max(peaks, key=lambda name: peaks[name])
    return f"the {run}'s {layer} layer"


def step_peaks(results: dict[str, Any]) -> dict[str, int]:
    """The worker's RSS peak while each step of the full build's lake layers ran (runs
    recorded before the bench sampled per step: none)."""
    peaks: dict[str, int] = {}
    for name, layer in results.get("full_build", {}).get("layers", {}).items():
        if name in LAKE_LAYERS:
            peaks |= layer.get("detail", {}).get("step_peak_rss_bytes", {})
    return peaks


def top_steps(results: dict[str, Any], count: int = 8) -> list[tuple[str, float, float]]:
    """(step, seconds, share of the lake layers' time) of the slowest steps."""
    total = results.get("full_build", {}).get("lake_total", {}).get("seconds") or 0.0
    steps = sorted(_steps(results).items(), key=lambda item: item[1], reverse=True)[:count]
    return [(step, seconds, seconds / total if total else 0.0) for step, seconds in steps]


def hot_spots(results: dict[str, Any]) -> list[str]:
    """One markdown bullet per finding, with this run's numbers where it has them."""
    found = []
    total = results.get("full_build", {}).get("lake_total", {}).get("seconds") or 0.0
    orders_step = _steps(results).get("silver_orders_assets")
    orders = _probe(results, "silver_orders")
    if orders_step and orders and total:
        per_100k = orders["seconds_validate_order_versions"] / orders["sample_rows"] * 100_000
        latest_per_100k = orders["seconds_latest_versions"] / orders["sample_rows"] * 100_000
        found.append(
            f"**`transforms/silver/orders.py` `validate_order_versions`** - the "
            f"`silver_orders_assets` step took {orders_step:.0f} s, "
            f"{orders_step / total:.0%} of the whole build; the probe measures "
            f"{per_100k:.1f} s per 100,000 order versions ({orders['bronze_rows']:,} here). "
            "Line rules are now judged as column predicates on the exploded lines and messages "
            "are built only for broken rows (they used to be built for every line: 89% of the "
            "build). What remains is mostly parsing. `json_decode` fails the whole column on "
            "one odd document, so a document reaches it only when proven to be a list of flat "
            "objects: one written as bronze writes it (sorted line-field keys, strict JSON, "
            "plain scalars) is decoded as delivered, any other is first canonicalised "
            "(`json_path_match`) and checked by a pattern. `json_decode` itself is now the "
            "largest cost (about 1.8 s CPU at SF1, 2 microseconds per document whatever the "
            "target types); reading the plain shape with string functions instead is the next "
            "thing to try."
        )
        found.append(
            f"**`transforms/silver/latest.py` `latest_versions`** - {latest_per_100k:.1f} s "
            "per 100,000 valid versions. Only the rows that hold their key's highest version "
            "can win, and the deterministic tie-break (a sort by every non-nested column) runs "
            "only on the rows whose key and version repeat."
        )
    keys = _probe(results, "stable_key")
    if keys.get("seconds_order_line_key") is not None:
        found.append(
            f"**`transforms/keys.py` `stable_key`** - over {keys['rows']:,} order lines, "
            f"order_line_key takes {keys['seconds_order_line_key']:.2f} s and product_key "
            f"{keys['seconds_product_key']:.2f} s: XXH64 (seed 42) of every value, computed "
            "natively by the polars-hash plugin; the facts take product and partner keys "
            "from the dimension lookup. PySpark computes the same keys natively (xxhash64); "
            "DuckDB has no built-in XXH64 here, so its peer calls the xxhash package once "
            f"per value in a Python UDF{_duckdb_key_udf(results)}."
        )
    share = incremental_share(results)
    if share is not None:
        days, late = history_days(results), late_window_days(results)
        found.append(
            f"**Incremental runs** - one new day on top of {days} days of history (with late "
            f"versions of as many orders as 1% of the older ones, placed in the last {late} "
            f"days) costs {share:.0%} of a full build. Silver reads only the bronze batches "
            "added since its last run; when a night only adds batches, each key they carry is "
            "settled against silver's current row (a tie or a null version, or a replaced "
            "batch, reads the key's other versions from bronze), and the quarantine check's "
            "per-source figures are carried forward from the last run's counts "
            "(`assets/silver/incremental.py`, `source_counts.py`); silver's checks read the "
            "change feed since the version they last passed (`quality/silver_scope.py`). Gold "
            "reads silver's change "
            "data feed and replaces only the affected slices (`assets/gold/`: facts by date, "
            "order lines by the orders the changes name, committed as a merge of the "
            "differences; "
            "marts as their published rows plus what the changes add and take away, with each "
            "customer's days from a persisted customer state, `customer_state.py`; dimensions "
            "by key), and builds a "
            "table whole above a share of its input (`rebuild_above_share`)."
            f"{_incremental_layers(results)}{_rewritten_whole(results)} Tables are written "
            "sorted by their clustering column in files of bounded size "
            "(`resources/lake_layout.py`), so delta-rs' file skipping leaves the files a night "
            "does not touch alone (the rewrite table above). What a night still pays whatever "
            "its size: one Dagster step per asset and check, each reading Delta logs, progress "
            "and change feeds (about 40 steps, tens of milliseconds each); the merges of silver "
            "orders, order lines and the order-line fact rewrite every data file that holds "
            f"a late update (copy-on-write: up to {late} days' rows for a few changed orders "
            "of each); each mart passes once over its customer state; and kpi_daily's audit "
            "reconciles its slice with silver's lines of the slice's dates."
        )
    loads = [o["result"] for o in results.get("definitions_load", []) if o["status"] == "ok"]
    if loads:
        load = sorted(loads, key=lambda r: r["total_seconds"])[len(loads) // 2]
        dagster = load.get("dagster_import_seconds", 0.0)
        found.append(
            f"**Definitions load** - {load['total_seconds']:.1f} s, nearly all imports "
            f"({load['import_seconds']:.1f} s, of which `import dagster` {dagster:.1f} s); "
            f"building and validating take {load['build_seconds'] + load['validate_seconds']:.2f}"
            " s. boto3, httpx, pymongo/bson, tenacity, deltalake and pyarrow are imported where "
            "they are used, and dataframely (with SQLAlchemy) when a silver asset first runs "
            "(`assets/silver/deferred.py`); `make` compiles the installed packages to bytecode "
            "(as the Docker image does). What is left is mostly `import dagster`, then Polars "
            "(the contracts declare Polars dtypes) and defining the assets."
        )
    peak = pipeline_peak_bytes(results)
    if peak:
        found.append(
            f"**Memory** - the pipeline peaks at {peak / GIB:.2f} GiB here, in "
            f"{_peak_layer(results)} (the steps' own peaks are in the table above). A full "
            "silver build validates bronze in slices of 100,000 rows (a partner file whole; "
            "files spread over bronze are first bucketed on disk by one streaming pass), keeps "
            "only a (key, version, slice) state and replaces each table in one streamed commit "
            "(`assets/silver/rebuild.py`). A full build of a gold fact runs in parts of whole "
            "days (about 500,000 source rows, `part_rows`), each built, audited and streamed "
            "into one commit, with the primary key and the unknown-member share decided over "
            "all parts before the commit (`GoldParts`, `quality/audit_parts.py`). Neither "
            "peak follows the history. An incremental run holds the new batches, the keys they "
            "touch and the affected slices (a fact's slice of the late updates' dates is one "
            "frame)." + _warehouse_memory(results)
        )
    return found
