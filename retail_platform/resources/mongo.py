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

# MongoDB's comparison order across BSON types (after MinKey and null): a query or a sort on
# `_id` follows it, so the watermark must too. `$type` names of each rank, lowest first.
BSON_TYPE_ORDER: tuple[tuple[str, ...], ...] = (
    ("null",),
    ("double", "int", "long", "decimal"),
    ("symbol", "string"),
    ("object",),
    ("array",),
    ("binData",),
    ("objectId",),
    ("bool",),
    ("date",),
    ("timestamp",),
    ("regex",),
)


def bson_rank(value: Any) -> int:
    """Index in BSON_TYPE_ORDER of a decoded BSON value's type."""
    from bson import Binary, ObjectId, Regex, Timestamp
    from bson.decimal128 import Decimal128

    if value is None:
        return 0
    if isinstance(value, bool):  # before int: a bool is an int to Python, not to BSON
        return 7
    checks: tuple[tuple[type | tuple[type, ...], int], ...] = (
        ((int, float, Decimal128), 1),
        (str, 2),
        (Mapping, 3),
        ((list, tuple), 4),
        ((bytes, Binary), 5),
        (ObjectId, 6),
        (datetime, 8),
        (Timestamp, 9),
        (Regex, 10),
    )
    for kinds, rank in checks:
        if isinstance(value, kinds):
            return rank
    raise TypeError(f"no BSON comparison order for {type(value).__name__}: {value!r}")


def bson_sort_key(value: Any) -> tuple[int, Any]:
    """Sorts decoded BSON values as MongoDB compares them: by type rank, then by value.

    Two `_id`s of different types (an int and a string) compare as MongoDB does, instead of
    raising TypeError; within a type the Python order matches MongoDB's (strings by code point,
    which is UTF-8 byte order; ObjectIds by their bytes).
    """
    from bson import ObjectId
    from bson.decimal128 import Decimal128

    rank = bson_rank(value)
    if isinstance(value, Decimal128):
        return rank, value.to_decimal()
    if isinstance(value, ObjectId):
        return rank, value.binary
    if rank in (3, 4):
        from bson import json_util

        return rank, json_util.dumps(value, sort_keys=False)
    return rank, value


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
                        # $gt only compares within one BSON type: ids of later types follow too.
                        *_later_types_clause(value, after.document_id),
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


def _later_types_clause(updated_at: Any, document_id: Any) -> list[dict[str, Any]]:
    # One clause per type name (a list under $type is not understood by every emulation);
    # symbols, timestamps and regexes are left out: no collection keys documents by them.
    return [
        {"updated_at": updated_at, "_id": {"$type": name}}
        for names in BSON_TYPE_ORDER[bson_rank(document_id) + 1 :]
        for name in names
        if name not in _NOT_ID_TYPES
    ]


_NOT_ID_TYPES = {"symbol", "array", "timestamp", "regex"}
