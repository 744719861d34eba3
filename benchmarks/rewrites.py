"""What the incremental run's commits wrote to each Delta table, from the tables' own logs.

A Delta commit adds and removes whole data files: replacing a day's slice of a table held in
one big file removes that file and adds a new one with the whole table in it. The cost of a
night is therefore the bytes its commits wrote and the share of the table they rewrote, not
the rows that changed. Both come from the file lists of consecutive versions (the add actions'
sizes; delta-rs' `operationMetrics` count files and rows but not bytes), for every version
committed after the full build.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
from deltalake import DeltaTable

# The layers the pipeline writes (the quarantine tables are written by the silver assets).
WRITTEN_LAYERS = ("silver", "quarantine", "gold")


def table_versions(lake: Path, layers: tuple[str, ...] = WRITTEN_LAYERS) -> dict[str, int]:
    """ "layer/table" -> current version, for every Delta table of `layers` under `lake`."""
    versions = {}
    for layer in layers:
        folder = lake / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if (path / "_delta_log").is_dir():
                versions[f"{layer}/{path.name}"] = DeltaTable(str(path)).version()
    return versions


def _files(path: Path, version: int) -> dict[str, int]:
    """Data file -> size in bytes, of the table at `version` (none before version 0)."""
    if version < 0:
        return {}
    actions = pl.DataFrame(DeltaTable(str(path), version=version).get_add_actions(flatten=True))
    return dict(zip(actions.get_column("path"), actions.get_column("size_bytes"), strict=True))


def rewrites_since(
    lake: Path, before: dict[str, int], layers: tuple[str, ...] = WRITTEN_LAYERS
) -> dict[str, dict[str, Any]]:
    """Per table committed to since the versions in `before` (a table new since then counts
    from nothing): commits, their operations, data files and bytes added and removed, and the
    table's bytes before and after."""
    found = {}
    for name, current in table_versions(lake, layers).items():
        first = before.get(name, -1)
        if current <= first:
            continue
        path = lake / name
        history = DeltaTable(str(path)).history()
        operations = Counter(
            entry.get("operation", "?")
            for entry in history
            if first < int(entry.get("version", -1)) <= current
        )
        files = _files(path, first)
        table_before = sum(files.values())
        added = removed = added_bytes = removed_bytes = 0
        for version in range(first + 1, current + 1):
            now = _files(path, version)
            new, gone = now.keys() - files.keys(), files.keys() - now.keys()
            added, removed = added + len(new), removed + len(gone)
            added_bytes += sum(now[file] for file in new)
            removed_bytes += sum(files[file] for file in gone)
            files = now
        found[name] = {
            "commits": current - first,
            "operations": dict(sorted(operations.items())),
            "files_added": added,
            "files_removed": removed,
            "bytes_added": added_bytes,
            "bytes_removed": removed_bytes,
            "table_bytes_before": table_before,
            "table_bytes_after": sum(files.values()),
            "table_files_after": len(files),
        }
    return found


def rewritten_share(table: dict[str, Any]) -> float | None:
    """Bytes of the table before the run that the run's commits removed (rewrote or dropped),
    as a share of the table's bytes then; None for a table new in the run."""
    before = table["table_bytes_before"]
    return table["bytes_removed"] / before if before else None
