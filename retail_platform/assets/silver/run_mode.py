"""How a silver run reads bronze: what is new (the default) or everything (a full refresh).

The run config `full_refresh: true` of a silver asset, or the run tag `retail/full_refresh=true`
for every silver asset of a run, rebuilds from all of bronze (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from pydantic import Field

FULL_REFRESH_TAG = "retail/full_refresh"
"""Run tag: `true` rebuilds every silver asset of the run from all of bronze (and every
incremental gold asset from all of silver: assets/gold/increment.py)."""


class SilverRefreshConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild this silver table, its quarantine and any child table from all "
        "of bronze instead of the batches added since the last run (after a contract or rule "
        "change, or to repair). The run tag retail/full_refresh=true does the same for every "
        "silver asset of a run.",
    )


@dataclass(frozen=True)
class SilverRun:
    """How a silver run reads bronze: everything (full refresh) or what is new."""

    run_id: str
    full_refresh: bool = False
