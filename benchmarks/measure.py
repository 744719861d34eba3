"""One measurement: wall time, rows, and peak RSS of the process tree while it ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.memory import PeakRssSampler


@dataclass
class Measurement:
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    rows: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"rows_per_second": self.rows_per_second}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            seconds=float(data["seconds"]),
            peak_rss_bytes=int(data["peak_rss_bytes"]),
            rows=int(data.get("rows", 0)),
            detail=dict(data.get("detail", {})),
        )


@contextmanager
def measured(sampler: PeakRssSampler) -> Iterator[Measurement]:
    """Times the block and records the peak tree RSS seen while it ran."""
    measurement = Measurement()
    sampler.reset()
    started = time.perf_counter()
    try:
        yield measurement
    finally:
        measurement.seconds = time.perf_counter() - started
        measurement.peak_rss_bytes = sampler.peak_bytes


def combined(parts: list[Measurement]) -> Measurement:
    """Parts run one after the other: times and rows add up, the peak is the highest."""
    return Measurement(
        seconds=sum(part.seconds for part in parts),
        peak_rss_bytes=max((part.peak_rss_bytes for part in parts), default=0),
        rows=sum(part.rows for part in parts),
    )
