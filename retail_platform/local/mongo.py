"""MongoDB for the local stack: an in-memory emulation behind the platform's pymongo code path.

No MongoDB server can run on the development machines, so each process gets a mongomock
client seeded with the same generated customers. Only `get_client` differs from production:
the queries, cursors and batching in `MongoResource` run unchanged.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

from pydantic import Field

from retail_platform.resources.mongo import MongoResource


class EmbeddedMongoResource(MongoResource):
    uri: str = "mongodb://embedded-mongomock/"
    seed: int = Field(default=42, description="Generator seed, the same as the local stack's.")
    scale: float = Field(default=1.0, description="Generator scale, the same as the local stack's.")

    def get_client(self) -> Any:
        # mongomock accepts batch_size for pymongo compatibility and warns that it is a no-op.
        warnings.filterwarnings("ignore", message="'batch_size' is accepted", category=UserWarning)
        return _NonClosingClient(_seeded_client(self.seed, self.scale))


@cache
def _seeded_client(seed: int, scale: float) -> Any:
    from retail_platform.local.generator import generate
    from retail_platform.local.seed import seeded_mongo_client

    return seeded_mongo_client(generate(seed=seed, scale=scale))


class _NonClosingClient:
    """The emulated database lives in the client: closing it after a read must not empty it."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getitem__(self, name: str) -> Any:
        return self._client[name]

    def close(self) -> None:
        pass
