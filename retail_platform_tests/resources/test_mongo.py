"""MongoResource reads a collection in `_id` order, in batches, through plain pymongo.

The embedded emulation runs always; the same test runs against a real MongoDB when
MONGODB_URI is set (it writes to, and then drops, a throwaway database).
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from retail_platform.local.generator import generate
from retail_platform.local.mongo import EmbeddedMongoResource
from retail_platform.resources.mongo import MongoResource


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
