"""MongoDB for the local stack: an in-memory emulation behind the platform's pymongo code path.

No MongoDB server can run on the development machines, so each process gets a mongomock
client seeded with the same generated customers. Only `get_client` differs from production:
the queries, cursors and batching in `MongoResource` run unchanged.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from retail_platform.resources.mongo import MongoResource


class EmbeddedMongoResource(MongoResource):
    uri: str = "mongodb://embedded-mongomock/"
    seed: int = Field(default=42, description="Generator seed, the same as the local stack's.")
    scale: float = Field(default=1.0, description="Generator scale, the same as the local stack's.")
    end_date: str = Field(
        default="", description="Last day of the stack's data window (ISO); empty: yesterday."
    )
    days: int = Field(default=0, description="Length of the data window; 0: 13 months.")
    state_dir: str = Field(
        default="",
        description="The local stack's state folder: in live mode its stack.json says which "
        "customer changes have arrived since the stack started.",
    )
    as_of: str = Field(
        default="",
        description="Serve the collections as they stood at this instant (ISO); empty: at the "
        "end of the window. The demo uses it to build dim_customer before and after changes.",
    )

    def get_client(self) -> Any:
        # mongomock accepts batch_size for pymongo compatibility and warns that it is a no-op.
        warnings.filterwarnings("ignore", message="'batch_size' is accepted", category=UserWarning)
        client = _seeded_client(self.seed, self.scale, self.end_date, self.days, self.as_of)
        if self.state_dir and not self.as_of:
            _apply_live_changes(client, Path(self.state_dir), self.seed, self.scale)
        return _NonClosingClient(client)


@cache
def _seeded_client(seed: int, scale: float, end_date: str, days: int, as_of: str) -> Any:
    from retail_platform.local.generator import generate
    from retail_platform.local.seed import seeded_mongo_client

    dataset = generate(
        seed=seed,
        scale=scale,
        end_date=date.fromisoformat(end_date) if end_date else None,
        days=days or None,
    )
    return seeded_mongo_client(dataset, datetime.fromisoformat(as_of) if as_of else None)


def _apply_live_changes(client: Any, state_dir: Path, seed: int, scale: float) -> None:
    """Upsert the customer versions the live flow has released by now (live.py)."""
    from retail_platform.local.seed import MONGO_DATABASE
    from retail_platform.local.stack import load_state

    state = load_state(state_dir)
    if state is None or not state.live_since or (state.seed, state.scale) != (seed, scale):
        return
    feed = _live_feed(
        seed, scale, state.end_date, state.days, state.live_since, state.live_interval_seconds
    )
    if state.live_stopped_at:
        feed.clock = replace(feed.clock, stopped_at=datetime.fromisoformat(state.live_stopped_at))
    feed.catch_up(datetime.now(UTC))
    customers = client[MONGO_DATABASE]["customers"]
    for version in feed.customer_versions:  # in release order: the last one wins
        customers.replace_one({"_id": version["_id"]}, copy.deepcopy(version), upsert=True)


@cache
def _live_feed(
    seed: int, scale: float, end_date: str, days: int, since: str, interval_seconds: int
) -> Any:
    from retail_platform.local.generator import generate
    from retail_platform.local.live import LiveClock, LiveFeed

    dataset = generate(seed=seed, scale=scale, end_date=date.fromisoformat(end_date), days=days)
    clock = LiveClock(datetime.fromisoformat(since), timedelta(seconds=interval_seconds))
    return LiveFeed(dataset, clock)


class _NonClosingClient:
    """The emulated database lives in the client: closing it after a read must not empty it."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getitem__(self, name: str) -> Any:
        return self._client[name]

    def close(self) -> None:
        pass
