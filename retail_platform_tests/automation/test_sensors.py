"""The S3 arrival sensor, evaluated for real against moto_server."""

import json
from collections.abc import Iterator

import dagster as dg
import pytest

from retail_platform.automation.sensors import partner_files_sensor
from retail_platform.local.stack import StackState
from retail_platform.resources.s3 import PartnerDropsResource

pytestmark = pytest.mark.integration

NEW_FILE = "partner_sales/PTN99/2026-10-31.csv"
UCI_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


@pytest.fixture
def drops(local_stack: StackState) -> Iterator[PartnerDropsResource]:
    endpoints = local_stack.endpoints
    resource = PartnerDropsResource(
        bucket=endpoints.s3_bucket,
        endpoint_url=endpoints.s3_endpoint_url,
        aws_access_key_id="local-stack",
        aws_secret_access_key="local-stack",
    )
    yield resource
    resource._client().delete_object(Bucket=resource.bucket, Key=NEW_FILE)


def _tick(drops: PartnerDropsResource, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(cursor=cursor, resources={"partner_drops": drops})
    return partner_files_sensor(context)


def test_new_file_one_run_same_tick_none_changed_file_one_run(
    drops: PartnerDropsResource,
) -> None:
    first = _tick(drops, None)
    assert isinstance(first, dg.SensorResult)
    assert len(first.run_requests) == 1
    seen = json.loads(first.cursor)
    assert any(key.startswith("catalog/") for key in seen)
    assert any(key.startswith("partner_sales/") for key in seen)

    again = _tick(drops, first.cursor)
    assert isinstance(again, dg.SkipReason)

    drops.put_bytes(
        NEW_FILE, (UCI_HEADER + "900001,SKU-10001,Mug,2,10/31/2026 9:00,4.5,,EIRE\n").encode()
    )
    arrived = _tick(drops, first.cursor)
    assert isinstance(arrived, dg.SensorResult)
    assert len(arrived.run_requests) == 1
    assert arrived.run_requests[0].tags["retail/changed_objects"] == "1"
    assert NEW_FILE in json.loads(arrived.cursor)

    assert isinstance(_tick(drops, arrived.cursor), dg.SkipReason)

    drops.put_bytes(
        NEW_FILE, (UCI_HEADER + "900001,SKU-10001,Mug,3,10/31/2026 9:00,4.5,,EIRE\n").encode()
    )
    corrected = _tick(drops, arrived.cursor)
    assert isinstance(corrected, dg.SensorResult)
    assert len(corrected.run_requests) == 1
    assert corrected.run_requests[0].run_key != arrived.run_requests[0].run_key


def test_a_re_evaluated_tick_requests_the_same_run_key(drops: PartnerDropsResource) -> None:
    """Dagster drops a run request whose run key it has seen, so a retried tick is harmless."""
    first, retried = _tick(drops, None), _tick(drops, None)
    assert isinstance(first, dg.SensorResult) and isinstance(retried, dg.SensorResult)
    assert first.run_requests[0].run_key == retried.run_requests[0].run_key
