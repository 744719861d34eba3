"""Partner file drops in S3 (or any S3-compatible store such as MinIO).

dagster-aws does the S3 work: ``S3Resource`` builds the client (endpoint, credentials, its
retry configuration) and ``get_objects`` lists a prefix. What is left here is what it does not
know: the drops' bucket, the objects as versions (key and ETag) and one client per
configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:  # imported when used: loading the code location need not pay for boto3
    from dagster_aws.s3 import S3Resource


@dataclass(frozen=True)
class S3Object:
    key: str
    etag: str
    size: int
    last_modified: datetime


class PartnerDropsResource(dg.ConfigurableResource):
    bucket: str = Field(description="Bucket the partners drop files into.")
    endpoint_url: str | None = Field(default=None, description="Set for MinIO or a local S3.")
    region_name: str = Field(default="us-east-1")
    aws_access_key_id: str | None = Field(default=None, description="None: default AWS chain.")
    aws_secret_access_key: str | None = Field(default=None)

    def s3_resource(self) -> S3Resource:
        """The dagster-aws resource that builds this bucket's S3 client."""
        return _s3_resource(
            self.endpoint_url, self.region_name, self.aws_access_key_id, self.aws_secret_access_key
        )

    def list_objects(self, prefix: str) -> list[S3Object]:
        from dagster_aws.s3.sensor import get_objects

        listed = get_objects(self.bucket, prefix, client=self._client())
        objects = [
            S3Object(
                key=item["Key"],
                etag=item["ETag"].strip('"'),
                size=item["Size"],
                last_modified=item["LastModified"],
            )
            for item in listed
        ]
        # get_objects orders by LastModified; ingestion and the sensor's run config go by key.
        return sorted(objects, key=lambda obj: obj.key)

    def read_bytes(self, key: str) -> bytes:
        return self.read_object(key)[0]

    def read_object(self, key: str) -> tuple[bytes, S3Object]:
        """The object's bytes and the version they are (ETag from the same response)."""
        response = self._client().get_object(Bucket=self.bucket, Key=key)
        body = response["Body"].read()
        return body, S3Object(
            key=key,
            etag=response["ETag"].strip('"'),
            size=len(body),
            last_modified=response["LastModified"],
        )

    def put_bytes(self, key: str, body: bytes) -> None:
        self._client().put_object(Bucket=self.bucket, Key=key, Body=body)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _client(self) -> Any:
        return _client(
            self.endpoint_url, self.region_name, self.aws_access_key_id, self.aws_secret_access_key
        )


def _s3_resource(
    endpoint_url: str | None, region: str, key_id: str | None, secret: str | None
) -> S3Resource:
    from dagster_aws.s3 import S3Resource

    return S3Resource(
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


@lru_cache(maxsize=16)
def _client(endpoint_url: str | None, region: str, key_id: str | None, secret: str | None) -> Any:
    # One client per configuration: S3Resource.get_client() builds a new boto3 session and
    # client on every call, which costs more than a small GET.
    return _s3_resource(endpoint_url, region, key_id, secret).get_client()
