"""Partner file drops in S3 (or any S3-compatible store such as MinIO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import dagster as dg
from pydantic import Field


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

    def list_objects(self, prefix: str) -> list[S3Object]:
        paginator = self._client().get_paginator("list_objects_v2")
        objects: list[S3Object] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                objects.append(
                    S3Object(
                        key=item["Key"],
                        etag=item["ETag"].strip('"'),
                        size=item["Size"],
                        last_modified=item["LastModified"],
                    )
                )
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


@lru_cache(maxsize=16)
def _client(endpoint_url: str | None, region: str, key_id: str | None, secret: str | None) -> Any:
    # One client per configuration: creating a boto3 client costs more than a small GET.
    import boto3  # here, not at the top: loading the code location should not pay for it

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
