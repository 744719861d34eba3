"""The fault suite: a full REST ingestion through 10% 429s, 5% 5xx and a dropped connection
yields exactly the simulator's records, compared key by key with the generator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import polars as pl
import pytest

from retail_platform.assets.bronze.rest import bronze_orders, bronze_payments
from retail_platform.local.generator import generate
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.rest import CommerceApiResource
from retail_platform_tests.local.simulator_process import TOKEN, running_simulator

pytestmark = pytest.mark.integration

SEED, SCALE = 7, 0.1
FAULTS = ["--fault-seed", "11", "--fault-429-rate", "0.1", "--fault-5xx-rate", "0.05",
          "--fault-drop-requests", "17", "--fault-retry-after", "1"]  # fmt: skip
WINDOW = ["--end-date", "2026-10-30", "--days", "30"]  # the default volume in 30 days
WHOLE_WINDOW = {
    "dagster/asset_partition_range_start": "2026-10-01",
    "dagster/asset_partition_range_end": "2026-10-30",
}


@pytest.fixture(scope="module")
def faulty_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_simulator(
        tmp_path_factory.mktemp("faulty"), seed=SEED, scale=SCALE, extra_args=[*FAULTS, *WINDOW]
    ) as url:
        yield url


def _metadata(result: dg.ExecuteInProcessResult, table: str) -> dict[str, object]:
    events = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == dg.AssetKey(["bronze", table])
    ]
    return {name: value.value for name, value in events[-1].metadata.items()}


def test_a_full_ingestion_through_faults_holds_exactly_the_simulators_records(
    faulty_api: str, tmp_path: Path
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    api = CommerceApiResource(
        base_url=faulty_api,
        api_token=TOKEN,
        page_size=100,
        backoff_initial_seconds=0.05,
        backoff_max_seconds=0.5,
    )

    result = dg.materialize(
        [bronze_orders, bronze_payments],
        resources={"commerce_api": api, "lake": lake},
        tags=WHOLE_WINDOW,
    )

    assert result.success
    dataset = generate(seed=SEED, scale=SCALE, end_date=date(2026, 10, 30), days=30)
    orders = lake.scan("bronze", "orders").collect()
    delivered = Counter((o["order_id"], o["updated_at"]) for o in dataset.orders)
    landed = Counter(orders.select("order_id", "updated_at").iter_rows())
    assert landed == delivered  # 0 missing, 0 extra; the source's own duplicates kept twice
    payments = lake.scan("bronze", "payments").collect()
    assert Counter(payments.get_column("payment_id")) == Counter(
        p["payment_id"] for p in dataset.payments
    )
    assert payments.height == len(dataset.payments)

    injected = httpx.get(f"{faulty_api}/admin/faults").json()["injected"]
    order_meta, payment_meta = _metadata(result, "orders"), _metadata(result, "payments")
    retried = Counter(order_meta["retries_by_cause"]) + Counter(payment_meta["retries_by_cause"])
    assert retried == {"429": injected["429"], "5xx": injected["5xx"], "connection": 1}
    assert injected["drop"] == 1 and injected["429"] > 0 and injected["5xx"] > 0
    assert order_meta["retries_taken"] + payment_meta["retries_taken"] == sum(retried.values())
    assert order_meta["records_fetched"] == len(dataset.orders) == order_meta["rows"]
    assert order_meta["malformed_records"] == orders.filter(pl.col("_error").is_not_null()).height
    assert order_meta["watermark"] == max(o["updated_at"] for o in dataset.orders)
