from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from retail_platform.local.dataset import RetailDataset
from retail_platform.local.generator import generate
from retail_platform.local.seed import seed_s3, seeded_mongo_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited early: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{endpoint}/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("moto_server did not start")


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real moto_server process (the console script next to this interpreter)."""
    port = _free_port()
    moto_server = Path(sys.executable).parent / "moto_server"
    # Its request log goes to a file: an unread pipe would fill up and stall the server.
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(process, endpoint, log)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def dataset() -> RetailDataset:
    return generate(seed=9, scale=0.05, end_date=date(2026, 10, 3), days=3)


def _client(endpoint: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _all_keys(s3: Any, bucket: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def test_seed_s3_uploads_every_landing_file(s3_endpoint: str, dataset: RetailDataset) -> None:
    keys = seed_s3(dataset, endpoint_url=s3_endpoint, bucket="landing")
    assert sorted(keys) == sorted(dataset.s3_objects())
    # catalog + partner directory, the partners' statements (each closes one on the last
    # day; PTN05 also on day 2: statements are staggered) and a stock snapshot a day
    assert len(keys) == 2 + 9 + 3
    s3 = _client(s3_endpoint)
    assert _all_keys(s3, "landing") == sorted(keys)

    sales = s3.get_object(Bucket="landing", Key="partner_sales/PTN02/2026-10-03.csv")
    assert sales["ContentType"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sales["Body"].read().decode())))
    expected = next(
        f["rows"]
        for f in dataset.partner_sales
        if f["partner_id"] == "PTN02" and f["sales_date"] == "2026-10-03"
    )
    assert [r["InvoiceNo"] for r in rows] == [r["InvoiceNo"] for r in expected]
    assert [int(r["Quantity"]) for r in rows] == [r["Quantity"] for r in expected]
    assert [float(r["UnitPrice"]) for r in rows] == [r["UnitPrice"] for r in expected]

    partners = s3.get_object(Bucket="landing", Key="partners/partners.json")["Body"].read()
    assert json.loads(partners) == dataset.partners
    catalog = s3.get_object(Bucket="landing", Key="catalog/products_2026-10-01.csv.gz")
    assert catalog["ContentType"] == "application/gzip"
    stock = s3.get_object(Bucket="landing", Key="inventory/stock_2026-10-03.parquet")
    assert stock["ContentType"] == "application/vnd.apache.parquet"
    assert stock["Body"].read()[:4] == b"PAR1"


def test_seed_s3_is_idempotent_and_handles_other_regions(
    s3_endpoint: str, dataset: RetailDataset
) -> None:
    first = seed_s3(dataset, endpoint_url=s3_endpoint, bucket="eu-drop", region="eu-central-1")
    second = seed_s3(dataset, endpoint_url=s3_endpoint, bucket="eu-drop", region="eu-central-1")
    assert first == second
    s3 = _client(s3_endpoint, "eu-central-1")
    location = s3.get_bucket_location(Bucket="eu-drop")["LocationConstraint"]
    assert location == "eu-central-1"
    assert _all_keys(s3, "eu-drop") == sorted(first)


def test_seeded_mongo_client_holds_customers_and_reviews(dataset: RetailDataset) -> None:
    client = seeded_mongo_client(dataset)
    database = client["retail"]
    assert sorted(database.list_collection_names()) == ["customers", "reviews"]
    assert database["customers"].count_documents({}) == len(dataset.customers)
    assert database["reviews"].count_documents({}) == len(dataset.reviews)

    first = dataset.customers[0]
    assert database["customers"].find_one({"_id": first["_id"]}) == first
    deleted = database["customers"].count_documents({"is_deleted": True})
    assert deleted == sum(c["is_deleted"] for c in dataset.customers) >= 1
    recent = database["reviews"].count_documents({"updated_at": {"$gte": "2026-10-02T00:00:00Z"}})
    assert recent == sum(r["updated_at"] >= "2026-10-02T00:00:00Z" for r in dataset.reviews)


def test_seeded_mongo_client_does_not_share_dicts_with_the_dataset() -> None:
    dataset = generate(seed=9, scale=0.05, end_date=date(2026, 10, 3), days=3)
    client = seeded_mongo_client(dataset)
    dataset.customers[0]["first_name"] = "Changed"
    stored = client["retail"]["customers"].find_one({"_id": dataset.customers[0]["_id"]})
    assert stored is not None
    assert stored["first_name"] != "Changed"
    assert seeded_mongo_client(dataset)["retail"]["customers"].count_documents({}) == len(
        dataset.customers
    )  # each call is a fresh, independent client
