"""Smoke test: the whole benchmark at a tiny scale, so `make bench` cannot rot.

Runs every phase that needs no extra install or server (no PySpark, no local stack) in
worker processes, exactly as `make bench` does, then renders the report. The Dagster overhead
phases start many interpreters and are tested apart (test_overhead.py).
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.harness import BenchOptions, run_benchmark
from benchmarks.report import previous_results, write_report
from benchmarks.summary import engine_results, targets

SMOKE_SCALE = 0.005  # ~2,000 orders


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    options = BenchOptions(
        scale_factor=SMOKE_SCALE,
        work_dir=tmp_path_factory.mktemp("bench"),
        # A month of history keeps the run short (a partition-range run reports each day).
        history_days=30,
        late_window_days=10,
        engines=("polars", "duckdb", "pandas"),
        warehouse=False,
        source_scale=0,
        definition_loads=0,  # Dagster overhead phases: see test_overhead.py
        probes=False,
        phase_timeout_seconds=300,
    )
    yield run_benchmark(options, echo=lambda _: None)


def test_full_build_runs_silver_and_gold_through_dagster(results: dict) -> None:
    layers = results["full_build"]["layers"]

    assert set(layers) == {"silver", "gold"}
    gold_rows = layers["gold"]["detail"]["rows"]
    silver_rows = layers["silver"]["detail"]["rows"]
    assert gold_rows["gold/fact_order_lines"] == silver_rows["silver/order_lines"] > 4_000
    assert gold_rows["gold/dim_date"] == 30
    assert layers["silver"]["peak_rss_bytes"] > 50 * 1024 * 1024


def test_every_peer_builds_gold_equal_to_the_platform(results: dict) -> None:
    engines = engine_results(results)

    assert {engine: result.status for engine, result in engines.items()} == {
        "polars": "ok",
        "duckdb": "ok",
        "pandas": "ok",
    }


def test_incremental_run_adds_the_new_day(results: dict) -> None:
    incremental = results["incremental"]

    assert incremental["status"] == "ok"
    gold_rows = incremental["result"]["layers"]["gold"]["detail"]["rows"]
    assert gold_rows["gold/dim_date"] == 31
    # Only what depends on the bronze tables that got the new day is run again.
    silver_rows = incremental["result"]["layers"]["silver"]["detail"]["rows"]
    assert {"silver/orders", "silver/order_lines", "silver/payments"} <= set(silver_rows)
    assert "silver/partner_sales" in silver_rows  # the day's partner files
    assert "silver/customers" not in silver_rows
    delivered = results["land"]["incremental_delivery_rows"]
    assert set(delivered) == {"orders", "payments", "partner_sales"}
    assert incremental["result"]["landing"]["rows"] == sum(delivered.values())
    # Late versions of orders placed on earlier days come with the new day's orders.
    assert 0 < results["land"]["incremental_late_order_versions"] < delivered["orders"]


def test_incremental_run_records_what_its_commits_rewrote(results: dict) -> None:
    rewrites = results["incremental"]["result"]["rewrites"]

    # The layers the run wrote, none it only read; customers got no new data.
    assert {"silver/orders", "silver/payments", "gold/fact_order_lines"} <= set(rewrites)
    assert not any(name.startswith("bronze/") for name in rewrites)
    assert "silver/customers" not in rewrites
    orders = rewrites["silver/orders"]
    assert orders["commits"] >= 1
    assert orders["files_added"] >= 1
    assert orders["bytes_added"] > 0
    assert orders["table_bytes_before"] > 0


def test_floor_is_measured_and_unmeasured_targets_get_no_verdict(results: dict) -> None:
    assert results["io_floor"]["status"] == "ok"
    assert results["io_floor"]["result"]["floor"]["seconds"] > 0
    verdicts = {target.name: target.met for target in targets(results)}
    assert verdicts["gold build vs PySpark local"] is None  # not run: no verdict
    assert verdicts["SF10 peak memory"] is None
    assert verdicts["Definitions load"] is None
    assert isinstance(verdicts["whole pipeline vs I/O floor"], bool)


def test_report_keeps_other_scale_factors(results: dict, tmp_path: Path) -> None:
    document = tmp_path / "benchmarks.md"
    other = json.loads(json.dumps(results, default=str))
    other["options"]["scale_factor"] = 10.0

    write_report(other, document)
    write_report(results, document)

    text = document.read_text()
    assert "## Results at SF0.005" in text
    assert "## Results at SF10" in text
    assert text.index("## Results at SF0.005") < text.index("## Results at SF10")
    assert "| gold build vs DuckDB | <= 1.0x DuckDB's time |" in text
    assert "One new day on top of 30 days of history" in text
    assert "| silver/orders |" in text
    assert sorted(previous_results(document)) == [SMOKE_SCALE, 10.0]
