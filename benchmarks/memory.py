"""Peak resident memory of a process tree, sampled from /proc (no psutil needed).

A measured phase runs in a worker process; the JVM of PySpark, the step processes of Dagster's
multiprocess executor and any other child count too, so the sampler sums the RSS of the root
process and every descendant it can see.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
DEFAULT_INTERVAL_SECONDS = 0.05


def _children(pid: int) -> list[int]:
    """Direct children of pid, from /proc/<pid>/task/*/children (every thread can fork)."""
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def process_tree(root_pid: int) -> list[int]:
    """root_pid and all its descendants that are alive now."""
    pids, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending.extend(_children(pid))
    return pids


def rss_bytes(pid: int) -> int:
    """Resident set size of one process; 0 when it has gone."""
    try:
        resident_pages = int((PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return resident_pages * PAGE_SIZE


def tree_rss_bytes(root_pid: int) -> int:
    return sum(rss_bytes(pid) for pid in process_tree(root_pid))


class PeakRssSampler:
    """Samples the tree RSS of `root_pid` in a background thread; `peak_bytes` is the maximum.

    Usable as a context manager around one measured phase; `reset()` starts a new peak (the
    sampler can then be reused for the next phase of the same process).
    """

    def __init__(
        self, root_pid: int | None = None, interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    ) -> None:
        self.root_pid = root_pid if root_pid is not None else os.getpid()
        self.interval_seconds = interval_seconds
        self._peak = 0
        # (epoch seconds, bytes) of every sample since the last reset: what `peak_between`
        # reads to attribute the peak to the steps that ran (50 ms samples: small).
        self._samples: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def peak_bytes(self) -> int:
        self._sample()  # the moment of reading counts too
        with self._lock:
            return self._peak

    def reset(self) -> None:
        with self._lock:
            self._peak = 0
            self._samples = []
        self._sample()

    def peak_between(self, start: float, end: float) -> int:
        """The highest sample taken between two epoch times (0 when none was)."""
        with self._lock:
            return max((rss for moment, rss in self._samples if start <= moment <= end), default=0)

    def start(self) -> PeakRssSampler:
        self._stop.clear()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="peak-rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> PeakRssSampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self._sample()

    def _sample(self) -> None:
        current = tree_rss_bytes(self.root_pid)
        with self._lock:
            self._peak = max(self._peak, current)
            self._samples.append((time.time(), current))
