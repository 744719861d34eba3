"""The S3 arrival sensor, evaluated for real against moto_server, and the runs it requests
executed for real: new file -> one run; same tick -> none; corrected file -> one run, and bronze
holds only the corrected rows."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.bronze import s3 as bronze_s3
from retail_platform.automation.jobs import partner_files_job
from retail_platform.automation.sensors import partner_files_sensor
from retail_platform.local.stack import StackState
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform_tests.assets.bronze.drops import fresh_drops, sales_csv

pytestmark = pytest.mark.integration

CATALOG = "catalog/products_2026-10-01.csv"
SALES = "partner_sales/PTN01/2026-10-01.csv"
NEW_FILE = "partner_sales/PTN99/2026-10-31.csv"
CATALOG_CSV = (
    "product_id,sku,name,category,brand,unit_price,currency,active,updated_at\n"
    "P1,SKU-10001,Mug,kitchen,Acme,4.50,EUR,true,2026-09-01T00:00:00Z\n"
)


@pytest.fixture
def drops(local_stack: StackState) -> Iterator[PartnerDropsResource]:
    with fresh_drops(local_stack) as resource:
        resource.put_bytes(CATALOG, CATALOG_CSV.encode())
        resource.put_bytes(SALES, sales_csv("1,SKU-10001,Mug,2,10/1/2026 9:00,4.50,,EIRE"))
        yield resource


def _tick(drops: PartnerDropsResource, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(cursor=cursor, resources={"partner_drops": drops})
    return partner_files_sensor(context)


def _execute(request: dg.RunRequest, drops: PartnerDropsResource, lake: LakeResource) -> str:
    """Runs the request as the daemon would: the sensor's job, selection, config and tags."""
    definitions = dg.Definitions(
        assets=dg.load_assets_from_modules([bronze_s3]),
        jobs=[partner_files_job],
        resources={"partner_drops": drops, "lake": lake},
    )
    result = definitions.resolve_job_def("partner_files").execute_in_process(
        run_config=request.run_config,
        asset_selection=request.asset_selection,
        tags=request.tags,
    )
    assert result.success
    return result.run_id


def _sales_rows(lake: LakeResource) -> list[tuple[str, str, str]]:
    frame = lake.scan("bronze", "partner_sales").sort("partner_id", "invoice_no").collect()
    return frame.select("partner_id", "invoice_no", "quantity").rows()


def test_new_file_one_run_same_tick_none_corrected_file_one_run_with_only_corrected_rows(
    drops: PartnerDropsResource, tmp_path: Path
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    first = _tick(drops, None)
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.asset_selection == [
        dg.AssetKey(["bronze", "partner_sales"]),
        dg.AssetKey(["bronze", "products"]),
    ]
    assert request.run_config == {
        "ops": {
            "bronze__partner_sales": {"config": {"keys": [SALES]}},
            "bronze__products": {"config": {"keys": [CATALOG]}},
        }
    }
    _execute(request, drops, lake)
    assert _sales_rows(lake) == [("PTN01", "1", "2")]
    assert lake.scan("bronze", "products").collect().height == 1

    assert isinstance(_tick(drops, first.cursor), dg.SkipReason)  # same tick again: nothing

    drops.put_bytes(NEW_FILE, sales_csv("900001,SKU-10001,Mug,2,10/31/2026 9:00,4.5,,EIRE"))
    arrived = _tick(drops, first.cursor)
    assert isinstance(arrived, dg.SensorResult) and len(arrived.run_requests) == 1
    assert arrived.run_requests[0].tags["retail/changed_objects"] == "1"
    assert arrived.run_requests[0].run_config == {
        "ops": {"bronze__partner_sales": {"config": {"keys": [NEW_FILE]}}}
    }
    _execute(arrived.run_requests[0], drops, lake)
    assert _sales_rows(lake) == [("PTN01", "1", "2"), ("PTN99", "900001", "2")]
    assert isinstance(_tick(drops, arrived.cursor), dg.SkipReason)

    drops.put_bytes(
        NEW_FILE,
        sales_csv(
            "900001,SKU-10001,Mug,3,10/31/2026 9:00,4.5,,EIRE",
            "900002,SKU-10002,Cup,1,10/31/2026 9:05,2.0,,EIRE",
        ),
    )
    corrected = _tick(drops, arrived.cursor)
    assert isinstance(corrected, dg.SensorResult) and len(corrected.run_requests) == 1
    assert corrected.run_requests[0].run_key != arrived.run_requests[0].run_key
    run_id = _execute(corrected.run_requests[0], drops, lake)

    assert _sales_rows(lake) == [
        ("PTN01", "1", "2"),
        ("PTN99", "900001", "3"),
        ("PTN99", "900002", "1"),
    ]
    new_file_rows = lake.scan("bronze", "partner_sales").filter(
        pl.col("_source_key").str.ends_with(NEW_FILE)
    )
    assert new_file_rows.select("_batch_id").unique().collect().to_series().to_list() == [run_id]


def test_a_re_evaluated_tick_requests_the_same_run_key(drops: PartnerDropsResource) -> None:
    """Dagster drops a run request whose run key it has seen, so a retried tick is harmless."""
    first, retried = _tick(drops, None), _tick(drops, None)
    assert isinstance(first, dg.SensorResult) and isinstance(retried, dg.SensorResult)
    assert first.run_requests[0].run_key == retried.run_requests[0].run_key


def test_files_outside_the_feeds_are_ignored(drops: PartnerDropsResource) -> None:
    first = _tick(drops, None)
    assert isinstance(first, dg.SensorResult)
    drops.put_bytes("partner_sales/PTN01/notes.txt", b"not a sales file")
    drops.put_bytes("archive/old.csv", b"a,b\n")
    assert isinstance(_tick(drops, first.cursor), dg.SkipReason)
