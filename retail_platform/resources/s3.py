"""Partner file drops in S3 (or any S3-compatible store such as MinIO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
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
        return self._client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put_bytes(self, key: str, body: bytes) -> None:
        self._client().put_object(Bucket=self.bucket, Key=key, Body=body)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
        )
