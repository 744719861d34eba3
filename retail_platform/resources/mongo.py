"""The customer service MongoDB, through plain pymongo."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from pydantic import Field
from pymongo import MongoClient


class MongoResource(dg.ConfigurableResource):
    uri: str = Field(description="MongoDB connection string; set from an environment variable.")
    database: str = Field(default="retail")
    batch_size: int = Field(default=2000, description="Documents per cursor batch.")

    def get_client(self) -> MongoClient:
        return MongoClient(self.uri, tz_aware=True, appname="retail-platform")

    def iter_batches(
        self, collection: str, query: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yields the collection's documents in `_id` order, a batch at a time (flat memory)."""
        client = self.get_client()
        try:
            cursor = (
                client[self.database][collection]
                .find(dict(query or {}))
                .sort("_id", 1)
                .batch_size(self.batch_size)
            )
            batch: list[dict[str, Any]] = []
            for document in cursor:
                batch.append(document)
                if len(batch) >= self.batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch
        finally:
            client.close()
