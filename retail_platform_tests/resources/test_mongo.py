"""MongoResource reads a collection in `_id` order, in batches, through plain pymongo.

The embedded emulation runs always; the same test runs against a real MongoDB when
MONGODB_URI is set (it writes to, and then drops, a throwaway database).
"""

import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import mongomock_ng as mongomock
import pytest
from pymongo import MongoClient

from retail_platform.local.generator import generate
from retail_platform.local.mongo import EmbeddedMongoResource
from retail_platform.resources.mongo import MongoResource, MongoWatermark


def _ids(batches: list[list[dict]]) -> list[str]:
    return [document["_id"] for batch in batches for document in batch]


def test_embedded_customers_come_in_id_order_and_in_batches_of_the_set_size() -> None:
    resource = EmbeddedMongoResource(seed=3, scale=0.05, batch_size=40)
    expected_ids = sorted(customer["_id"] for customer in generate(seed=3, scale=0.05).customers)

    batches = list(resource.iter_batches("customers"))

    assert _ids(batches) == expected_ids
    assert [len(batch) for batch in batches[:-1]] == [40] * (len(batches) - 1)
    assert 0 < len(batches[-1]) <= 40


def test_embedded_query_filters_like_pymongo() -> None:
    resource = EmbeddedMongoResource(seed=3, scale=0.05)
    deleted = _ids(list(resource.iter_batches("customers", {"is_deleted": True})))
    expected = sorted(c["_id"] for c in generate(seed=3, scale=0.05).customers if c["is_deleted"])
    assert deleted == expected


@pytest.fixture
def real_mongo_database() -> Iterator[tuple[str, str]]:
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("MONGODB_URI is not set: no real MongoDB to test against")
    database = f"retail_platform_test_{uuid.uuid4().hex[:8]}"
    client: MongoClient = MongoClient(uri)
    try:
        yield uri, database
    finally:
        client.drop_database(database)
        client.close()


@pytest.mark.real_mongodb
def test_real_mongodb_reads_every_document_in_batches(real_mongo_database: tuple[str, str]) -> None:
    uri, database = real_mongo_database
    customers = generate(seed=5, scale=0.05).customers
    with MongoClient(uri) as client:
        client[database]["customers"].insert_many([dict(c) for c in customers])

    batches = list(
        MongoResource(uri=uri, database=database, batch_size=25).iter_batches("customers")
    )

    assert _ids(batches) == sorted(c["_id"] for c in customers)
    assert max(len(batch) for batch in batches) == 25


class _Collection(MongoResource):
    """The resource's own query and cursor code over an in-memory database of given documents."""

    uri: str = "mongodb://in-memory/"

    def get_client(self) -> Any:
        warnings.filterwarnings("ignore", message="'batch_size' is accepted", category=UserWarning)
        return _CLIENTS[self.database]


_CLIENTS: dict[str, Any] = {}


def _resource_over(documents: list[dict[str, Any]], batch_size: int = 2) -> MongoResource:
    name = f"db_{uuid.uuid4().hex[:8]}"
    client = mongomock.MongoClient()
    client[name]["items"].insert_many(documents)
    _CLIENTS[name] = _Unclosed(client)
    return _Collection(database=name, batch_size=batch_size)


class _Unclosed:
    def __init__(self, client: Any) -> None:
        self._client = client

    def __getitem__(self, name: str) -> Any:
        return self._client[name]

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "stamp",
    [
        lambda day, hour: f"2026-10-{day:02d}T{hour:02d}:00:00Z",  # ISO strings
        lambda day, hour: datetime(2026, 10, day, hour, tzinfo=UTC),  # BSON dates
    ],
)
def test_changed_batches_resume_after_the_watermark_with_ties_broken_by_id(stamp: Any) -> None:
    documents = [
        {"_id": "d", "updated_at": stamp(2, 9)},
        {"_id": "a", "updated_at": stamp(1, 8)},
        {"_id": "c", "updated_at": stamp(2, 9)},
        {"_id": "b", "updated_at": stamp(2, 9)},
        {"_id": "e", "updated_at": stamp(3, 7)},
    ]
    resource = _resource_over(documents)

    everything = _ids(list(resource.iter_changed_batches("items", None)))
    watermark = MongoWatermark(
        "2026-10-02T09:00:00Z", datetime(2026, 10, 2, 9, tzinfo=UTC), document_id="b"
    )
    after_b = list(resource.iter_changed_batches("items", watermark))

    assert everything == ["a", "b", "c", "d", "e"]  # (updated_at, _id) order
    assert _ids(after_b) == ["c", "d", "e"]  # same instant, greater _id: still to read
    assert [len(batch) for batch in after_b] == [2, 1]


@pytest.mark.real_mongodb
def test_real_mongodb_resumes_after_the_watermark(real_mongo_database: tuple[str, str]) -> None:
    uri, database = real_mongo_database
    with MongoClient(uri) as client:
        client[database]["items"].insert_many(
            [{"_id": key, "updated_at": f"2026-10-0{day}T00:00:00Z"} for key, day in
             [("a", 1), ("c", 2), ("b", 2), ("d", 3)]]
        )  # fmt: skip
    resource = MongoResource(uri=uri, database=database, batch_size=2)
    watermark = MongoWatermark(
        "2026-10-02T00:00:00Z", datetime(2026, 10, 2, tzinfo=UTC), document_id="b"
    )

    assert _ids(list(resource.iter_changed_batches("items", watermark))) == ["c", "d"]


def test_bson_sort_key_orders_mixed_ids_as_mongodb_does() -> None:
    from bson import ObjectId

    from retail_platform.resources.mongo import bson_sort_key

    oid = ObjectId("650000000000000000000001")
    ids: list[Any] = ["b", oid, 10, "a", 2.5, True, datetime(2026, 1, 1, tzinfo=UTC), 3]

    # numbers < strings < ObjectId < booleans < dates (MongoDB's BSON comparison order)
    assert sorted(ids, key=bson_sort_key) == [
        2.5, 3, 10, "a", "b", oid, True, datetime(2026, 1, 1, tzinfo=UTC)
    ]  # fmt: skip
    assert max([7, "a"], key=bson_sort_key) == "a"


def test_a_watermark_on_an_int_id_still_reads_string_ids_of_the_same_instant() -> None:
    at = "2026-10-02T09:00:00Z"
    documents = [
        {"_id": 5, "updated_at": at},
        {"_id": 9, "updated_at": at},
        {"_id": "a", "updated_at": at},
        {"_id": 3, "updated_at": at},
    ]
    resource = _resource_over(documents, batch_size=10)
    watermark = MongoWatermark(at, datetime(2026, 10, 2, 9, tzinfo=UTC), document_id=5)

    after_5 = _ids(list(resource.iter_changed_batches("items", watermark)))
    after_a = _ids(
        list(
            resource.iter_changed_batches(
                "items", MongoWatermark(at, datetime(2026, 10, 2, 9, tzinfo=UTC), "a")
            )
        )
    )

    # $gt 5 alone would match 9 only: MongoDB compares within one type
    assert after_5 == [9, "a"]
    assert after_a == []
