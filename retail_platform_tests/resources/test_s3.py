"""PartnerDropsResource over the session's moto_server: the client comes from dagster-aws's
S3Resource, listings from its get_objects helper, versions are (key, ETag)."""

from __future__ import annotations

import hashlib

import pytest
from dagster_aws.s3 import S3Resource

from retail_platform.local.stack import StackState
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform_tests.assets.bronze.drops import fresh_drops


def test_the_client_is_built_by_dagster_aws_with_the_configured_endpoint() -> None:
    drops = PartnerDropsResource(
        bucket="drops",
        endpoint_url="http://127.0.0.1:9",
        region_name="eu-west-1",
        aws_access_key_id="key-id",
        aws_secret_access_key="secret",
    )

    s3 = drops.s3_resource()
    client = drops._client()

    assert isinstance(s3, S3Resource)
    assert (s3.endpoint_url, s3.region_name) == ("http://127.0.0.1:9", "eu-west-1")
    assert (s3.aws_access_key_id, s3.aws_secret_access_key) == ("key-id", "secret")
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.region_name == "eu-west-1"
    # S3Resource's retry configuration (standard mode), not boto3's legacy default
    assert client.meta.config.retries["mode"] == "standard"
    assert drops._client() is client  # one client per configuration


@pytest.mark.integration
def test_a_listing_is_ordered_by_key_with_each_objects_etag(local_stack: StackState) -> None:
    bodies = {
        "catalog/b.csv": b"second by key, written first\n",
        "catalog/a.csv": b"first by key, written last\n",
        "partners/p.json": b"{}",  # another prefix: not listed
    }
    with fresh_drops(local_stack) as drops:
        for key, body in bodies.items():
            drops.put_bytes(key, body)

        listed = drops.list_objects("catalog/")
        body, version = drops.read_object("catalog/a.csv")

    # A single-part upload's ETag is the MD5 of its bytes.
    assert [(obj.key, obj.etag, obj.size) for obj in listed] == [
        ("catalog/a.csv", hashlib.md5(bodies["catalog/a.csv"]).hexdigest(), 27),
        ("catalog/b.csv", hashlib.md5(bodies["catalog/b.csv"]).hexdigest(), 29),
    ]
    assert body == bodies["catalog/a.csv"] and version.etag == listed[0].etag
