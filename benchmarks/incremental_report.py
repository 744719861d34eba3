"""The report's incremental section: what one night costs against the full build, and what
its commits rewrote in each table (`rewrites`)."""

from __future__ import annotations

from typing import Any

from benchmarks.rewrites import rewritten_share
from benchmarks.summary import history_days, incremental_share, late_window_days


def _size(count: int) -> str:
    return f"{count / 1024**2:,.1f} MiB" if count >= 1024**2 else f"{count / 1024:,.0f} KiB"


def incremental_section(results: dict[str, Any]) -> list[str]:
    outcome = results.get("incremental") or {}
    if outcome.get("status") != "ok":
        reason = outcome.get("reason", "not run")
        return [f"Not measured: {outcome.get('status', 'not run')}: {reason}"]
    result = outcome["result"]
    layers, full = result["layers"], results["full_build"]["layers"]
    days, late = history_days(results), late_window_days(results)
    share = incremental_share(results)
    lines = [
        f"One new day on top of {days} days of history (the day is 1/{days + 1} of the "
        "generated orders), with late versions of orders placed in the last "
        f"{late} days: {share:.0%} of the full build's time."
        if share is not None
        else f"One new day on top of {days} days of history.",
        "",
        "| layer | incremental | full build | share |",
        "| --- | --- | --- | --- |",
    ]
    for layer in ("silver", "gold"):
        again, whole = layers.get(layer, {}).get("seconds"), full.get(layer, {}).get("seconds")
        if again is not None and whole:
            lines.append(f"| {layer} | {again:.1f} s | {whole:.1f} s | {again / whole:.0%} |")
    rewrites = result.get("rewrites")
    if not rewrites:
        return [*lines, "", "What the commits rewrote was not recorded in this run."]
    lines += [
        "",
        "What the run's commits did to each table (from the Delta logs): a table held in one "
        "file is rewritten whole by any replace or merge, whatever the rows that changed.",
        "",
        "| table | commits | files removed / added | bytes written | share of the table "
        "rewritten | table after |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    ordered = sorted(rewrites.items(), key=lambda item: item[1]["bytes_added"], reverse=True)
    for table, done in ordered:
        rewritten = rewritten_share(done)
        shown = "new table" if rewritten is None else f"{rewritten:.0%}"
        lines.append(
            f"| {table} | {done['commits']} | {done['files_removed']} / {done['files_added']} "
            f"| {_size(done['bytes_added'])} | {shown} | {_size(done['table_bytes_after'])} in "
            f"{done['table_files_after']} files |"
        )
    written = sum(done["bytes_added"] for done in rewrites.values())
    lines += ["", f"In all the night wrote {_size(written)} to {len(rewrites)} tables."]
    return lines
