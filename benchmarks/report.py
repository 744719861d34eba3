"""docs/benchmarks.md from the raw results: the method, the machine, and ratios.

One section per scale factor. Each section embeds its raw results (JSON, folded), so running
the benchmark at SF10 rewrites the SF10 section and keeps the SF1 section as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from benchmarks.findings import hot_spots, step_peaks, top_steps
from benchmarks.harness import ENGINES, HEAVY_PEERS
from benchmarks.incremental_report import incremental_section
from benchmarks.summary import (
    GIB,
    PLATFORM_ENGINE,
    engine_results,
    history_days,
    incremental_share,
    io_floor_multiple,
    speedup,
    targets,
)

ENGINE_LABELS = {
    "polars": "Platform (Polars transforms)",
    "duckdb": "DuckDB SQL",
    "pandas": "pandas",
    "pyspark": "PySpark local",
}
RAW_BLOCK = re.compile(
    r"<!-- bench-results sf=(?P<sf>[0-9.]+) -->\n```json\n(?P<json>.*?)\n```", re.S
)
DROPPED_KEYS = {"log", "path"}

HEADER = """# Benchmarks

How fast the platform moves retail data from bronze to gold, against the engines a team would
pick instead, measured side by side in one run on one machine. Absolute times drift on shared
machines, so the tables give ratios; seconds are in the raw results at the end of each section.

```bash
make bench          # SF1 (~1 million order lines); rewrites the SF1 section of this page
make bench SF=10    # SF10 (~10 million order lines); rewrites the SF10 section
.venv/bin/python -m benchmarks --help    # engines, repeats, warehouse, sources sample, work dir
```

## Method

- **Data.** `benchmarks/datagen.py` generates bronze tables shaped to the bronze
  contracts with vectorised NumPy/Polars: SF1 = 400,000 orders over the history (365 days by
  default, `--history-days`: the same rows over more or fewer days, so SF1 stays SF1), about
  730,000 order versions (status changes, 0.1% of each kind of malformed version, 0.2%
  delivered twice), about 1 million order lines, 420,000 payment attempts, 44,000 customers
  with raw PII and 6,600 products; 85% of orders in EUR, 10% in GBP, 5% in CHF. The history
  ends the day before a fixed new day (2026-10-31), so the same seed gives the same new day
  whatever the history's length; the local daily partitions start where the history does. The
  local stack's generator is pure Python and serves its data over HTTP, too slow for SF1, so
  bronze is landed directly in the lake; ingestion from the real local stand-ins is measured on
  a small sample instead (*Sources sample*: the last 30 days before the new day, from stand-ins
  serving the benchmark's window). When the platform's gold reads partner sales, the partner
  sales files (one per partner and day over the same window) and the partner directory are
  generated too (about 750,000 rows at SF1). Each day of a dated feed, and each day's partner
  files, carries its own `_batch_id`, as the nightly run that ingests it gives it in
  production.
- **Pipeline.** The platform's own Definitions (`build_definitions`) materialize one layer per
  run, as `retail-platform demo` does: silver, then gold, then the warehouse (the fakesnow
  stand-in, so its time says little about Snowflake and is kept out of the whole-run figure),
  with the blocking asset checks. The *whole pipeline* is silver + gold.
- **Peers.** On the silver tables the full build wrote, each engine builds the same six gold
  tables and writes them: dim_customer (a first build of the type 2 dimension: version 1 of
  every customer), dim_product, dim_date (spanning order, payment and partner sale dates),
  fact_order_lines and fact_payments (customer version valid when the order was placed,
  amounts converted to EUR with the rate valid on the day: 10% of orders are in GBP and 5% in
  CHF), and kpi_daily. dim_partner, fact_partner_sales and the retention mart are built by the
  pipeline but not by the peers: they exercise no engine feature the six do not. The platform
  (the transforms its gold assets run on a full build, on the same inputs) to Delta, DuckDB in
  SQL, pandas, and PySpark in local mode, to Parquet. Peers read the Delta tables' Parquet files
  (DuckDB's Delta extension and Spark's Delta jar cannot be downloaded here) and compute the
  surrogate keys with the platform's documented rule, XXH64 seed 42 of the natural key's text:
  PySpark natively (`xxhash64(concat_ws(chr(31), ...))` is that rule, so the comparison proves a
  Spark user recomputes the keys in SQL), DuckDB in an Arrow UDF and pandas in a loop, both
  calling the `xxhash` package once per value (DuckDB's XXH64 is in its `hashfuncs` community
  extension, which cannot be downloaded here; the peer's result records the seconds spent in
  the UDF, `key_udf`). Every output is compared with the gold the platform's assets wrote (same
  columns, types and rows, sorted by primary key); a peer whose output differs does not get a time.
  Spark's JVM start is measured but not counted. Each engine builds once per round;
  `--repeats N` runs N rounds, engines interleaved, and reports the median. Above SF3,
  pandas (about 2 GiB per SF) and PySpark local (about 30x the platform's time) are left out
  unless `--engines` names them: at SF10 they would not fit one 24 GiB machine's memory or an
  hour.
- **I/O floor.** Read every bronze table the pipeline reads and write every silver and gold
  table it writes (same rows, same Delta writer), with no transformation in between.
- **Incremental.** After the full build, the next day is added as a night brings it: the new
  partitions of orders and payments (one day of the history's rate: 1/365 of the data with the
  default history), carrying late versions of as many orders as 1% of those placed before the
  new day (a new status: placed -> cancelled, paid -> shipped, shipped -> returned; one in ten
  also with its order date moved a day earlier), chosen among the open orders placed in the
  last 40 days (`--late-window-days`), as a source's corrections arrive within weeks (the local
  generator's come 3 to 40 days after the order); and the day's partner sales files (new S3
  objects, one per partner). Everything downstream of those bronze tables is materialized
  again, as automation would; every silver table reads only the new batches. Afterwards (not
  timed) the Delta log of every silver, quarantine and gold table says what the run's commits
  did: data files removed and added, bytes written, and the share of the table's bytes before
  the run that they removed (rewrote), from the file lists of consecutive versions (delta-rs'
  `operationMetrics` count files and rows, not bytes).
- **Dagster overhead.** Import + build + `Definitions.validate_loadable` of the code location
  in a fresh interpreter (median of the runs); no-op assets run with the in-process and the
  multiprocess executor: (time for N assets - time for 1) / (N - 1).
- **Local stand-ins.** With the sources sample: the local generator at scale 1
  (`benchmarks/local_sources.py`; goal < 10 s) and `stack up` until every service answers (goal
  < 120 s). They are timed here, not asserted in the test suite, where a busy machine would
  fail them.
- **Memory and isolation.** Every phase runs in a fresh worker process. A sampler thread sums
  the RSS of the worker and all its descendants (Spark's JVM, Dagster's step processes) from
  `/proc` every 50 ms; the peak per phase is reported, and per step of the pipeline the peak
  of the samples taken while it ran (a layer runs its steps one after the other in one
  process, so memory a step leaves allocated counts in the next one's figure too).
"""


def _gib(value: int | None) -> str:
    return "-" if value is None else f"{value / GIB:.2f} GiB"


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _machine(results: dict[str, Any]) -> list[str]:
    before, after = results["machine_before"], results.get("machine_after", {})
    versions = ", ".join(f"{k} {v}" for k, v in before["versions"].items())
    return [
        f"Machine: {before['cores']} cores, {before['memory_bytes'] / GIB:.1f} GiB memory, "
        f"{before['cpu']}, {before['system']}, Python {before['python']}. Load average (1 min) "
        f"{before['load_average_1m']} before and {after.get('load_average_1m', '?')} after the "
        "run: the machine is shared, and a load above the core count means other work competed "
        "for the CPUs while this ran.",
        "",
        f"Code: {before.get('code', 'not recorded')}. Versions: {versions}.",
    ]


def _targets(results: dict[str, Any]) -> list[str]:
    lines = ["| target | goal | measured | |", "| --- | --- | --- | --- |"]
    for target in targets(results):
        lines.append(
            f"| {target.name} | {target.goal} | {target.measured} | {_verdict(target.met)} |"
        )
    return lines


def _gold(results: dict[str, Any]) -> list[str]:
    engines = engine_results(results)
    platform = engines.get(PLATFORM_ENGINE)
    base = platform.seconds if platform and platform.status == "ok" else None
    lines = [
        "| engine | time relative to the platform | the platform is | peak RSS | output | note |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for engine, result in engines.items():
        relative = f"{result.seconds / base:.2f}" if base and result.seconds else "-"
        faster = speedup(engines, engine)
        pace = "-" if engine == PLATFORM_ENGINE or faster is None else f"{faster:.1f}x faster"
        if faster is not None and faster < 1:
            pace = f"{1 / faster:.1f}x slower"
        output = {"ok": "equal", "different": "**differs**"}.get(result.status, result.status)
        label = ENGINE_LABELS.get(engine, engine)
        lines.append(
            f"| {label} | {relative} | {pace} | {_gib(result.peak_rss_bytes)} | {output} "
            f"| {result.note.replace('|', '/')} |"
        )
    if base:
        lines += ["", f"The platform's gold build took {base:.1f} s."]
    ran = results["options"].get("engines", ENGINES)
    left_out = [engine for engine in ENGINES if engine not in ran]
    for engine in left_out:
        reason = HEAVY_PEERS.get(engine, "left out by `--engines`")
        lines += [
            "",
            f"{ENGINE_LABELS.get(engine, engine)} did not run in this benchmark: {reason}. "
            f"`--engines` runs it (e.g. `--engines polars,{engine}`).",
        ]
    return lines


def _layers(results: dict[str, Any]) -> list[str]:
    full = results["full_build"]
    total = full["lake_total"]
    lines = [
        "| layer | rows written | share of the whole run | rows/s | peak RSS |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, layer in full["layers"].items():
        share = f"{layer['seconds'] / total['seconds']:.0%}" if name != "warehouse" else "(apart)"
        lines.append(
            f"| {name} | {layer['rows']:,} | {share} | {layer['rows_per_second']:,.0f} "
            f"| {_gib(layer['peak_rss_bytes'])} |"
        )
    lines.append(
        f"| **whole pipeline** (silver + gold) | {total['rows']:,} | 100% "
        f"| {total['rows_per_second']:,.0f} | {_gib(total['peak_rss_bytes'])} |"
    )
    multiple = io_floor_multiple(results)
    if multiple:
        lines += ["", f"The whole pipeline takes {multiple:.1f}x the I/O floor."]
    share = incremental_share(results)
    if share is not None:
        lines += [
            f"An incremental daily run costs {share:.0%} of the full build, over "
            f"{history_days(results)} days of history."
        ]
    lines += ["", f"Whole pipeline: {total['seconds']:.1f} s."]
    land = results.get("land", {})
    if "generation" in land:
        generation, landing = land["generation"], land["landing"]
        pieces = generation.get("pieces")
        lines.append(
            f"Bronze (not part of the pipeline): generated in {generation['seconds']:.1f} s"
            + (f" in {pieces} pieces" if pieces else "")
            + f", landed in {landing['seconds']:.1f} s; peak "
            f"{_gib(max(generation['peak_rss_bytes'], landing['peak_rss_bytes']))}."
        )
    return lines


def _sources(results: dict[str, Any]) -> list[str]:
    outcome = results.get("sources")
    if not outcome:
        return ["Not run (`--source-scale 0`)."]
    if outcome["status"] != "ok":
        return [f"Not measured: {outcome['status']}: {outcome['reason']}"]
    scale = results["options"]["source_scale"]
    lines = [
        f"The demo pipeline over the real local stand-ins (REST simulator, moto S3, mongomock, "
        f"fakesnow) at local generator scale {scale} (about {45_000 * scale:,.0f} order lines): "
        "what bronze ingestion costs per row. The stand-ins are single-process Python servers, "
        "so these rates are a floor for the platform's ingestion code, not a prediction.",
        "",
        "| stage | rows written | rows/s | peak RSS |",
        "| --- | --- | --- | --- |",
    ]
    for title, stage in outcome["result"]["stages"].items():
        lines.append(
            f"| {title} | {stage['rows']:,} | {stage['rows_per_second']:,.0f} "
            f"| {_gib(stage['peak_rss_bytes'])} |"
        )
    return lines


def _overhead(results: dict[str, Any]) -> list[str]:
    lines = []
    loads = [o["result"] for o in results.get("definitions_load", []) if o["status"] == "ok"]
    if loads:
        parts = sorted(loads, key=lambda r: r["total_seconds"])[len(loads) // 2]
        lines.append(
            f"- Definitions load: {parts['total_seconds']:.2f} s (median of {len(loads)}): "
            f"imports {parts['import_seconds']:.2f} s{_dagster_share(parts)}, "
            f"build {parts['build_seconds']:.2f} s, "
            f"validate {parts['validate_seconds']:.2f} s."
        )
    noop = results.get("noop", {})
    if noop.get("status") == "ok":
        result = noop["result"]
        for executor in ("in_process", "multiprocess"):
            run = result[executor]
            lines.append(
                f"- No-op asset, {executor.replace('_', '-')} executor: "
                f"{run['per_asset_seconds']:.3f} s per asset; a run of one asset "
                f"{run['run_of_one_seconds']:.2f} s, of {run['asset_count']} assets "
                f"{run['run_of_n_seconds']:.2f} s."
            )
    elif noop:
        lines.append(f"- No-op assets: {noop.get('status')}: {noop.get('reason')}")
    return lines or ["Not measured."]


def _dagster_share(parts: dict[str, Any]) -> str:
    if "dagster_import_seconds" not in parts:
        return ""
    return f" (of which `import dagster` {parts['dagster_import_seconds']:.2f} s)"


def _profile(results: dict[str, Any]) -> list[str]:
    peaks = step_peaks(results)
    lines = [
        "| step | seconds | share of the whole run | process RSS peak while it ran |",
        "| --- | --- | --- | --- |",
    ]
    for step, seconds, share in top_steps(results):
        peak = f"{peaks[step] / 1024**3:.2f} GiB" if peaks.get(step) else "-"
        lines.append(f"| `{step}` | {seconds:.1f} | {share:.0%} | {peak} |")
    return lines


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def render_section(results: dict[str, Any]) -> str:
    scale = float(results["options"]["scale_factor"])
    lines_written = results["full_build"]["layers"]["gold"]["detail"]["rows"].get(
        "gold/fact_order_lines", 0
    )
    body = [
        f"## Results at SF{scale:g}",
        "",
        f"Run {results['started_at']}, {lines_written:,} order lines in the fact table over "
        f"{history_days(results)} days of history, "
        f"{results['total_seconds'] / 60:.1f} minutes in all.",
        "",
        *_machine(results),
        "",
        "### Targets",
        "",
        *_targets(results),
        "",
        "### Gold build: the platform against the peers",
        "",
        *_gold(results),
        "",
        "### Pipeline per layer (full build through Dagster)",
        "",
        *_layers(results),
        "",
        "### Incremental daily run",
        "",
        *incremental_section(results),
        "",
        "### Sources sample (bronze from the local stand-ins)",
        "",
        *_sources(results),
        "",
        "### Dagster overhead",
        "",
        *_overhead(results),
        "",
        "### Where the time goes (slowest steps of the full build)",
        "",
        *_profile(results),
        "",
        "### Hot spots and what would fix them",
        "",
        *(f"- {finding}" for finding in hot_spots(results)),
        "",
        "<details><summary>Raw results</summary>",
        "",
        f"<!-- bench-results sf={scale:g} -->",
        "```json",
        json.dumps(_strip(results), indent=1, default=str),
        "```",
        "</details>",
    ]
    return "\n".join(body)


def previous_results(document: Path) -> dict[float, dict[str, Any]]:
    if not document.exists():
        return {}
    found = {}
    for match in RAW_BLOCK.finditer(document.read_text()):
        found[float(match["sf"])] = json.loads(match["json"])
    return found


def write_report(results: dict[str, Any], document: Path) -> None:
    """Rewrite `document` with this run's section and the other scale factors' sections."""
    sections = previous_results(document)
    sections[float(results["options"]["scale_factor"])] = results
    rendered = [render_section(sections[scale]) for scale in sorted(sections)]
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(HEADER + "\n" + "\n\n".join(rendered) + "\n")
