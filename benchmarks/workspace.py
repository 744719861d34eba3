"""Where a benchmark run keeps its files, and what a worker phase is handed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.memory import PeakRssSampler
from benchmarks.window import Window


@dataclass(frozen=True)
class Workspace:
    """One folder per run. It is also the platform's local state dir, so the lake that the
    Definitions read and write is `<root>/lake`."""

    root: Path

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def table_path(self, layer: str, table: str) -> Path:
        return self.lake / layer / table

    def engine_output(self, engine: str) -> Path:
        return self.root / "out" / engine

    @property
    def floor_output(self) -> Path:
        return self.root / "floor"

    @property
    def incremental_delivery(self) -> Path:
        return self.root / "incremental"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def results(self) -> Path:
        return self.root / "results"


@dataclass
class PhaseContext:
    workspace: Workspace
    scale_factor: float
    seed: int
    sampler: PeakRssSampler
    options: dict[str, Any] = field(default_factory=dict)
    window: Window = field(default_factory=Window)
