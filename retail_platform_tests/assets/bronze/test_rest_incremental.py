"""Incremental orders: after 1% of orders change, the next nightly run fetches about 1% of the
pages; a re-run of the day holding the watermark fetches only what changed since it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import httpx
import polars as pl
import pytest

from retail_platform.assets.bronze.rest import bronze_orders
from retail_platform.local.generator import generate, with_order_changes
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.rest import CommerceApiResource
from retail_platform_tests.local.simulator_process import TOKEN, running_simulator

pytestmark = pytest.mark.integration

SEED, SCALE = 7, 0.1
MORNING, EVENING = datetime(2026, 10, 31, 6, tzinfo=UTC), datetime(2026, 10, 31, 18, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)
# A 30-day window, 2026-10-01 .. 30, holding the volume of the default 13 months.
WINDOW_ARGS = ("--end-date", "2026-10-30", "--days", "30")


@pytest.fixture
def api_url(tmp_path: Path) -> Iterator[str]:
    with running_simulator(tmp_path, seed=SEED, scale=SCALE, extra_args=WINDOW_ARGS) as url:
        yield url


def _run(lake: LakeResource, api_url: str, **partition: str) -> dict[str, object]:
    api = CommerceApiResource(base_url=api_url, api_token=TOKEN, page_size=10)
    result = dg.materialize(
        [bronze_orders], resources={"commerce_api": api, "lake": lake}, **partition
    )
    assert result.success
    metadata = result.get_asset_materialization_events()[-1].materialization.metadata
    return {name: value.value for name, value in metadata.items()} | {"run_id": result.run_id}


def _change_orders(api_url: str, at: datetime) -> int:
    response = httpx.post(
        f"{api_url}/admin/order-changes",
        params={"fraction": "0.01", "at": at.isoformat(), "spacing_seconds": "300"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return response.json()["versions_added"]


def _keys(lake: LakeResource) -> Counter[tuple[str, str]]:
    frame = lake.scan("bronze", "orders").select("order_id", "updated_at").collect()
    return Counter(frame.iter_rows())


def test_nightly_runs_fetch_only_what_changed(api_url: str, tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    truth = generate(seed=SEED, scale=SCALE, end_date=date(2026, 10, 30), days=30)

    backfill = _run(
        lake,
        api_url,
        tags={
            "dagster/asset_partition_range_start": "2026-10-01",
            "dagster/asset_partition_range_end": "2026-10-30",
        },
    )
    assert backfill["pages_fetched"] == 325  # 3,120 versions over 30 days, 10 per page
    assert _keys(lake) == Counter((o["order_id"], o["updated_at"]) for o in truth.orders)

    # 1% of the 1,787 orders change on Oct 31, from 06:00 every 5 minutes (06:00 .. 07:25).
    assert _change_orders(api_url, MORNING) == 18
    nightly = _run(lake, api_url, partition_key="2026-10-31")

    # 18 new versions: 2 pages of 10, 0.6% of the backfill's 325 pages.
    assert nightly["pages_fetched"] == 2
    assert nightly["pages_fetched"] / backfill["pages_fetched"] <= 0.01
    assert nightly["records_fetched"] == 18
    assert nightly["watermark_before"] == "2026-10-30T23:52:09Z"
    assert nightly["watermark"] == "2026-10-31T07:25:00Z"

    truth = with_order_changes(truth, 0.01, MORNING, FIVE_MINUTES)
    assert _keys(lake) == Counter((o["order_id"], o["updated_at"]) for o in truth.orders)

    # Another 1% change that evening; the Oct 31 partition now holds the watermark (07:25).
    assert _change_orders(api_url, EVENING) == 18
    rerun = _run(lake, api_url, partition_key="2026-10-31")

    # Fetched from the watermark minus the 5-minute lookback (07:20): the 07:20 and 07:25
    # versions again, plus the 18 evening ones; not the whole day (36).
    assert rerun["incremental_days"] == {"2026-10-31": "incremental since 2026-10-31T07:20:00Z"}
    assert rerun["records_fetched"] == 20
    assert rerun["rows"] == 36
    assert rerun["watermark"] == "2026-10-31T19:25:00Z"
    truth = with_order_changes(truth, 0.01, EVENING, FIVE_MINUTES)
    assert _keys(lake) == Counter((o["order_id"], o["updated_at"]) for o in truth.orders)
    day = lake.scan("bronze", "orders").filter(pl.col("_partition_date") == date(2026, 10, 31))
    batches = dict(day.group_by("_batch_id").len().collect().iter_rows())
    assert batches == {nightly["run_id"]: 16, rerun["run_id"]: 20}  # earlier rows left alone


def test_full_refresh_refetches_the_watermark_day_whole(api_url: str, tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    first = _run(lake, api_url, partition_key="2026-10-30")
    assert first["records_fetched"] == 118  # every version updated on Oct 30

    again = _run(lake, api_url, partition_key="2026-10-30")
    # The day holds the watermark (23:52:09): from 23:47:09 on, only that one (the one before
    # is 23:32:42).
    assert again["records_fetched"] == 1
    assert lake.scan("bronze", "orders").collect().height == 118

    api = CommerceApiResource(base_url=api_url, api_token=TOKEN, page_size=10)
    full = dg.materialize(
        [bronze_orders],
        resources={"commerce_api": api, "lake": lake},
        partition_key="2026-10-30",
        run_config={"ops": {"bronze__orders": {"config": {"full_refresh": True}}}},
    )
    metadata = full.get_asset_materialization_events()[-1].materialization.metadata
    assert metadata["records_fetched"].value == 118
    assert lake.scan("bronze", "orders").collect().height == 118
