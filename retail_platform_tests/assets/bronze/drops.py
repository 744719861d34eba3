"""A bucket of its own on the session's moto_server, so a test's files meet no other test's."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import dagster as dg

from retail_platform.local.stack import StackState
from retail_platform.resources.s3 import PartnerDropsResource

UCI_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


@contextlib.contextmanager
def fresh_drops(stack: StackState) -> Iterator[PartnerDropsResource]:
    drops = PartnerDropsResource(
        bucket=f"test-{uuid.uuid4().hex[:12]}",
        endpoint_url=stack.endpoints.s3_endpoint_url,
        aws_access_key_id="local-stack",
        aws_secret_access_key="local-stack",
    )
    client = drops._client()
    client.create_bucket(Bucket=drops.bucket)
    try:
        yield drops
    finally:
        for obj in drops.list_objects(""):
            client.delete_object(Bucket=drops.bucket, Key=obj.key)
        client.delete_bucket(Bucket=drops.bucket)


def sales_csv(*rows: str, header: str = UCI_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def metadata_of(result: dg.ExecuteInProcessResult, table: str) -> dict[str, object]:
    events = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == dg.AssetKey(["bronze", table])
    ]
    return {name: value.value for name, value in events[-1].metadata.items()}
