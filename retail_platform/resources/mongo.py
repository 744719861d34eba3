"""The customer service MongoDB, through plain pymongo."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:  # imported where used: loading the code location should not pay for it
    from pymongo import MongoClient

ASCENDING = 1  # pymongo.ASCENDING


@dataclass(frozen=True)
class MongoWatermark:
    """Where the last incremental read stopped: the latest `updated_at` and, among documents
    sharing it, the greatest `_id` (the tie-break, so equal timestamps never lose a document)."""

    updated_at_text: str
    """The value as bronze stored it (collections that keep ISO strings compare this)."""
    updated_at: datetime
    """The same instant (collections that keep BSON dates compare this)."""
    document_id: Any


class MongoResource(dg.ConfigurableResource):
    uri: str = Field(description="MongoDB connection string; set from an environment variable.")
    database: str = Field(default="retail")
    batch_size: int = Field(default=2000, description="Documents per cursor batch.")

    def get_client(self) -> MongoClient:
        from pymongo import MongoClient

        return MongoClient(self.uri, tz_aware=True, appname="retail-platform")

    def iter_batches(
        self, collection: str, query: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yields the collection's documents in `_id` order, a batch at a time (flat memory)."""
        yield from self._batches(collection, dict(query or {}), [("_id", ASCENDING)])

    def iter_changed_batches(
        self, collection: str, after: MongoWatermark | None
    ) -> Iterator[list[dict[str, Any]]]:
        """Documents changed after the watermark, in (updated_at, _id) order, a batch at a time.

        `updated_at` is compared in both its string and its date form (BSON only compares values
        of one type), so the same code reads collections that store either. A collection this
        large wants an index on (updated_at, _id).
        """
        query: dict[str, Any] = {}
        if after is not None:
            query = {
                "$or": [
                    clause
                    for value in (after.updated_at_text, after.updated_at)
                    for clause in (
                        {"updated_at": {"$gt": value}},
                        {"updated_at": value, "_id": {"$gt": after.document_id}},
                    )
                ]
            }
        yield from self._batches(collection, query, [("updated_at", ASCENDING), ("_id", ASCENDING)])

    def _batches(
        self, collection: str, query: dict[str, Any], sort: list[tuple[str, int]]
    ) -> Iterator[list[dict[str, Any]]]:
        client = self.get_client()
        try:
            cursor = (
                client[self.database][collection].find(query).sort(sort).batch_size(self.batch_size)
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
