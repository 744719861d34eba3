"""Load a generated dataset into the local S3 (moto) and MongoDB (mongomock) stand-ins."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import boto3
import mongomock_ng as mongomock
from botocore.exceptions import ClientError

from retail_platform.local.dataset import RetailDataset, iso_utc

MONGO_DATABASE = "retail"
_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
}


def _s3_client(endpoint_url: str, region: str) -> Any:
    # moto accepts any credentials; passing them explicitly keeps the host's AWS config out of it.
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
            raise
    if region == "us-east-1":  # S3 rejects an explicit us-east-1 location constraint
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def seed_s3(
    dataset: RetailDataset, *, endpoint_url: str, bucket: str, region: str = "us-east-1"
) -> list[str]:
    """Create `bucket` if missing and upload every landing-zone file; returns the keys."""
    s3 = _s3_client(endpoint_url, region)
    _ensure_bucket(s3, bucket, region)
    keys = []
    for key, body in dataset.s3_objects().items():
        suffix = key[key.rfind(".") :]
        content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        keys.append(key)
    return keys


def seeded_mongo_client(
    dataset: RetailDataset, as_of: datetime | None = None
) -> mongomock.MongoClient:
    """In-memory MongoClient with `retail.customers` and `retail.reviews` filled, as they
    stood at `as_of` (default: the end of the window)."""
    client = mongomock.MongoClient()
    database = client[MONGO_DATABASE]
    customers = dataset.customers if as_of is None else dataset.customers_as_of(as_of)
    reviews = [r for r in dataset.reviews if as_of is None or r["updated_at"] < iso_utc(as_of)]
    # Deep copies: the client must never share (or mutate) the dataset's own dicts.
    database["customers"].insert_many(copy.deepcopy(customers))
    if reviews:
        database["reviews"].insert_many(copy.deepcopy(reviews))
    return client
