"""Runs the benchmark: every phase in its own worker process, side by side in one run.

Order: (sources sample over the local stack) -> land bronze at the scale factor -> full build
through Dagster (silver, gold, warehouse) -> gold build by the platform's transforms and by
each peer, interleaved when repeated -> equality of every peer's gold with the platform's ->
I/O floor -> hot-spot probes -> incremental run -> Dagster overhead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info
from benchmarks.window import HISTORY_DAYS, LATE_WINDOW_DAYS, Window
from benchmarks.workspace import Workspace

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("polars", "duckdb", "pandas", "pyspark")
# Peers left out by default above this scale factor, and why; `--engines` still runs them.
HEAVY_PEERS_ABOVE_SCALE = 3.0
HEAVY_PEERS = {
    "pandas": "holds every table in memory at once, about 2 GiB per SF (20 GiB at SF10, "
    "near a 24 GiB machine's whole memory)",
    "pyspark": "local mode takes about 30x the platform's time (half an hour at SF10)",
}


def default_engines(scale_factor: float) -> tuple[str, ...]:
    """Every engine up to HEAVY_PEERS_ABOVE_SCALE; above it, those that fit one machine."""
    if scale_factor <= HEAVY_PEERS_ABOVE_SCALE:
        return ENGINES
    return tuple(engine for engine in ENGINES if engine not in HEAVY_PEERS)


STATE_DIR_VARIABLE = "RETAIL_PLATFORM_STATE_DIR"
SOURCES_SAMPLE_DAYS = 30  # the sources sample ingests the last days before the new day
LOG_TAIL_LINES = 15

Printer = Callable[[str], None]


class BenchmarkError(RuntimeError):
    """A phase that the rest depends on failed; the message names it and its log."""


@dataclass(frozen=True)
class BenchOptions:
    scale_factor: float = 1.0
    work_dir: Path = PROJECT_ROOT / ".local" / "bench"
    seed: int = 42
    history_days: int = HISTORY_DAYS  # the full build's days, the same rows whatever their count
    late_window_days: int = LATE_WINDOW_DAYS  # late updates: orders placed this recently
    engines: tuple[str, ...] = ENGINES
    repeats: int = 1
    warehouse: bool = True
    source_scale: float = 0.25  # local generator scale of the sources sample; 0 skips it
    definition_loads: int = 3  # 0 skips the Dagster overhead phases
    probes: bool = True
    phase_timeout_seconds: float = 3600.0
    spark_memory: str = "3g"

    def __post_init__(self) -> None:
        self.window  # noqa: B018  (refuses a late-update window longer than the history)

    @property
    def window(self) -> Window:
        return Window(self.history_days, self.late_window_days)


class Harness:
    def __init__(self, options: BenchOptions, echo: Printer = print) -> None:
        self.options = options
        self.echo = echo
        self.workspace = Workspace(options.work_dir.resolve())

    def prepare(self) -> None:
        shutil.rmtree(self.workspace.root, ignore_errors=True)
        for folder in (self.workspace.logs, self.workspace.results):
            folder.mkdir(parents=True, exist_ok=True)

    def worker(self, label: str, phase: str, options: dict[str, Any] | None = None) -> dict:
        """Runs one phase in a fresh process; returns {"status", "result" | "reason", ...}."""
        request = {
            "phase": phase,
            "workspace": str(self.workspace.root),
            "scale_factor": self.options.scale_factor,
            "seed": self.options.seed,
            "window": {
                "history_days": self.options.history_days,
                "late_window_days": self.options.late_window_days,
            },
            "options": options or {},
        }
        request_path = self.workspace.results / f"{label}.request.json"
        result_path = self.workspace.results / f"{label}.json"
        log_path = self.workspace.logs / f"{label}.log"
        request_path.write_text(json.dumps(request, indent=2))
        env = os.environ | {STATE_DIR_VARIABLE: str(self.workspace.root)}
        self.echo(f"  {label} ...")
        started = time.monotonic()
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.worker", request_path, result_path],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group, so a timeout stops its children
            )
            try:
                process.wait(timeout=self.options.phase_timeout_seconds)
            except subprocess.TimeoutExpired:
                _stop_group(process)
        elapsed = time.monotonic() - started
        if result_path.exists():
            outcome = json.loads(result_path.read_text())
        else:
            outcome = {"status": "failed", "reason": f"no result (exit code {process.returncode})"}
        if process.returncode is None or process.returncode < 0:
            outcome = {"status": "failed", "reason": f"stopped after {elapsed:.0f}s (timeout)"}
        outcome["log"] = str(log_path)
        if outcome["status"] != "ok":
            tail = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            self.echo(f"    {outcome['status']}: {outcome['reason']}")
            self.echo("    " + "\n    ".join(tail))
        else:
            self.echo(f"    done in {elapsed:.1f}s")
        return outcome

    def required(self, label: str, phase: str, options: dict[str, Any] | None = None) -> dict:
        outcome = self.worker(label, phase, options)
        if outcome["status"] != "ok":
            raise BenchmarkError(f"{label} failed: {outcome['reason']} (log: {outcome['log']})")
        return outcome["result"]


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the worker's own process group, then SIGKILL what is left; always reap."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def _local_stack(
    options: BenchOptions, workspace: Workspace, results: dict[str, Any]
) -> Iterator[None]:
    """The local stand-ins, when the sources sample or the warehouse layer needs them.

    Their data window is the benchmark's (its history and the new day), so the daily partitions
    of the Definitions, which start where the running stack's window starts, cover every day the
    benchmark lands. How long `stack up` took (all services answering) goes into
    results["stack_up"].
    """
    if not (options.warehouse or options.source_scale > 0):
        yield
        return
    from retail_platform.local.stack import StackConfig, running_stack

    scale = options.source_scale if options.source_scale > 0 else 0.01
    window = options.window
    config = StackConfig(
        state_dir=workspace.root,
        seed=options.seed,
        scale=scale,
        end_date=window.new_day,
        days=window.days,
    )
    started = time.monotonic()
    with running_stack(config):
        results["stack_up"] = {"scale": scale, "seconds": time.monotonic() - started}
        yield


def run_benchmark(options: BenchOptions, echo: Printer = print) -> dict[str, Any]:
    harness = Harness(options, echo)
    harness.prepare()
    started = time.monotonic()
    results: dict[str, Any] = {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "machine_before": machine_info(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    window = options.window
    echo(
        f"Benchmark at SF{options.scale_factor:g}, {window.history_days} days of history, "
        f"in {harness.workspace.root}"
    )
    with _local_stack(options, harness.workspace, results):
        if options.source_scale > 0:
            results["local_generator"] = harness.worker("local_generator", "local_generator")
            results["sources"] = harness.worker(
                "sources",
                "sources",
                {
                    "first_day": (
                        window.new_day - timedelta(days=min(SOURCES_SAMPLE_DAYS, window.days - 1))
                    ).isoformat(),
                    "days": min(SOURCES_SAMPLE_DAYS, window.days - 1),
                },
            )
            shutil.rmtree(harness.workspace.lake, ignore_errors=True)
        results["land"] = harness.required("land", "land")
        results["full_build"] = harness.required(
            "full_build", "full_build", {"warehouse": options.warehouse}
        )
        results["gold"] = _gold_builds(harness)
        results["io_floor"] = harness.worker("io_floor", "io_floor")
        if options.probes:
            results["probes"] = harness.worker("probes", "probes")
        results["incremental"] = harness.worker("incremental", "incremental")
    results["definitions_load"] = [
        harness.worker(f"definitions_load_{n}", "definitions_load")
        for n in range(1, options.definition_loads + 1)
    ]
    if options.definition_loads:
        results["noop"] = harness.worker("noop_assets", "noop_assets")
    results["machine_after"] = machine_info()
    results["total_seconds"] = time.monotonic() - started
    (harness.workspace.results / "results.json").write_text(
        json.dumps(results, indent=2, default=str)
    )
    echo(f"Benchmark done in {results['total_seconds']:.0f}s")
    return results


def _gold_builds(harness: Harness) -> dict[str, Any]:
    """Each engine builds gold `repeats` times, interleaved so drift hits all alike."""
    options = harness.options
    runs: dict[str, list[dict]] = {engine: [] for engine in options.engines}
    for repeat in range(1, options.repeats + 1):
        for engine in options.engines:
            if runs[engine] and runs[engine][-1]["status"] == "skipped":
                continue  # a peer that cannot start here will not start on the next round
            runs[engine].append(
                harness.worker(
                    f"gold_{engine}_{repeat}",
                    f"gold_{engine}",
                    {"spark_memory": options.spark_memory},
                )
            )
    outputs = {
        engine: {"path": outcome["result"]["path"], "format": outcome["result"]["format"]}
        for engine, outcomes in runs.items()
        for outcome in outcomes[-1:]
        if outcome["status"] == "ok"
    }
    check = harness.worker("check", "check", {"outputs": outputs}) if outputs else None
    return {"runs": runs, "check": check}
