"""Hot spots in code the benchmark may not change: where, what it costs here, what would fix it.

Costs come from the run (the per-step profile of the full build and the probes); the causes
were found by profiling the functions named (see docs/benchmarks.md, "Hot spots").
"""

from __future__ import annotations

from typing import Any

from retail_platform.bench.pipeline import LAKE_LAYERS
from retail_platform.bench.summary import incremental_share, pipeline_peak_bytes

GIB = 1024**3


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
    if orders_step and orders:
        per_100k = orders["seconds_validate_order_versions"] / orders["sample_rows"] * 100_000
        latest_per_100k = orders["seconds_latest_versions"] / orders["sample_rows"] * 100_000
        found.append(
            f"**`retail_platform/transforms/silver/orders.py` `validate_order_versions`** - the "
            f"`silver_orders_assets` step took {orders_step:.0f} s, "
            f"{orders_step / total:.0%} of the whole build; the probe measures "
            f"{per_100k:.1f} s per 100,000 order versions ({orders['bronze_rows']:,} here). "
            "Cause: `_line_rules()` runs inside `list.eval` and builds a message string for every "
            "rule and every line, valid or not (about three quarters of the function's time in a "
            "profile; the JSON parsing and decoding are under 10%). Fix: evaluate the line rules "
            "as booleans on the exploded lines (`explode` + vectorised predicates, grouped back "
            "with `any`) and build the messages only for the few rows that break a rule."
        )
        found.append(
            f"**`retail_platform/transforms/silver/orders.py` `latest_versions`** - "
            f"{latest_per_100k:.1f} s per 100,000 valid versions: it sorts by every non-nested "
            "column as a tie-breaker, long JSON text included. Fix: sort by key and version only "
            "and break ties on a row hash only where key and version repeat."
        )
    keys = _probe(results, "stable_key")
    gold_step = _steps(results).get("gold__fact_order_lines")
    if keys:
        share = f", against {gold_step:.1f} s for the whole fact step" if gold_step else ""
        found.append(
            f"**`retail_platform/transforms/keys.py` `stable_key`** - hashes value by value in "
            f"Python (`map_batches` over `to_list()`): the fact's three keys over "
            f"{keys['rows']:,} lines take {keys['seconds_three_keys']:.1f} s{share}. "
            f"The same rule over the distinct product ids only takes "
            f"{keys['seconds_product_key_distinct_only']:.2f} s. Fix (same keys): hash distinct "
            "values and join back, or take customer_key and product_key from the dimensions by "
            "join; only order_line_key needs one hash per line."
        )
    share = incremental_share(results)
    if share is not None:
        found.append(
            f"**Incremental runs rebuild everything** - one new day costs {share:.0%} of a full "
            "build: silver and gold assets are unpartitioned, so every run re-validates and "
            "re-deduplicates the whole history (`retail_platform/assets/silver/cleaning.py` "
            "`clean` reads all bronze rows). Fix: daily-partitioned silver that validates only the "
            "new bronze partition and merges the changed keys (`LakeResource.upsert`), the fact "
            "replaced for the affected order dates, and kpi_daily for the affected dates."
        )
    loads = [o["result"] for o in results.get("definitions_load", []) if o["status"] == "ok"]
    if loads:
        load = sorted(loads, key=lambda r: r["total_seconds"])[len(loads) // 2]
        found.append(
            f"**Definitions load** - {load['total_seconds']:.1f} s, nearly all imports "
            f"({load['import_seconds']:.1f} s); building and validating take "
            f"{load['build_seconds'] + load['validate_seconds']:.2f} s. `import dagster` alone is "
            "over half of it; of the platform's own imports, `resources/s3.py` (boto3), "
            "`resources/mongo.py` (pymongo) and `resources/rest.py` (httpx) import their clients "
            "at module import: in a `python -X importtime` profile they are most of the "
            "platform's own import time. Fix: import those clients inside the methods that use "
            "them."
        )
    peak = pipeline_peak_bytes(results)
    if peak:
        found.append(
            f"**Memory** - the full build peaks at {peak / GIB:.2f} GiB here: "
            "`assets/silver/cleaning.py` `clean` collects the validated frame, the valid and "
            "rejected splits and the latest versions as separate DataFrames, and the IO manager "
            "collects before writing. Fix: keep the chain lazy and collect with "
            '`engine="streaming"` (or `sink_delta`), so memory follows a batch, not the table.'
        )
    return found
