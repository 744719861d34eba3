"""A partner file as a US partner sends it, through the real local servers into RETAIL.GOLD.

ISO-8601 timestamps, alphanumeric invoice numbers (CD...: not cancellations for this partner),
3- and 4-decimal US dollar prices, dates in 1997-1998, the partner's feed profile saying USD
(US-RETAIL-1997 in feeds/partner_feeds.yaml). With USD reporting the file reaches Snowflake
with SUM(net_amount) equal to the sum of round(quantity x price, 2); with EUR reporting it has
no rate (the ECB's history starts on 1999-01-04) and the check names the dates.

The S3 files go to a bucket of their own on the session's moto server and the FX feed is the
session's stand-in; the lake and the Snowflake stand-in are this module's own, so the shared
pipeline_run is not disturbed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.bronze.s3 import bronze_partner_sales, bronze_partners, bronze_products
from retail_platform.assets.gold.star import (
    dim_date,
    dim_partner,
    dim_product,
    fact_partner_sales,
)
from retail_platform.assets.silver.partners import (
    silver_partner_sales_assets,
    silver_partners_assets,
)
from retail_platform.assets.silver.products import silver_products_assets
from retail_platform.assets.silver.reference import fx_rates
from retail_platform.assets.warehouse.load import warehouse_assets
from retail_platform.contracts import silver
from retail_platform.local.fx_feed import FEED_PATH
from retail_platform.local.stack import StackState
from retail_platform.quality import fx_coverage
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.fx import FxRatesFeedResource
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.resources.warehouse import SnowflakeWarehouse
from retail_platform_tests.assets.bronze.drops import fresh_drops
from retail_platform_tests.resources.test_warehouse import running_fakesnow

pytestmark = pytest.mark.integration

PARTNER = "US-RETAIL-1997"
# Written by hand, as the public data set's layout: TransactionID and Price are aliases in the
# partner's profile.
SALES = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,Price,CustomerID,Country
CD000001,SKU-A,Mug,3,1997-01-01 09:15:00,14.665,C1,United States
CD000002,SKU-B,Cup,1,1997-01-01 10:00:00,1.0005,C2,United States
CD000003,SKU-A,Mug,7,1997-01-02 11:30:00,2.345,C1,United States
CD000004,SKU-C,Bowl,2,1997-02-14 08:00:00,0.125,C3,United States
CD000005,SKU-B,Cup,12,1997-03-03 12:00:00,3.3333,C2,United States
CD000006,SKU-C,Bowl,5,1997-06-30 17:45:00,9.999,C4,United States
CD000007,SKU-A,Mug,-2,1997-07-01 09:00:00,14.665,C1,United States
CD000008,SKU-D,Plate,4,1997-09-09 09:09:09,0.0125,C5,United States
CD000009,SKU-B,Cup,9,1997-12-31 23:59:59,1.1115,C2,United States
CD000010,SKU-C,Bowl,1,1998-01-01 00:00:00,123.4565,C3,United States
CD000011,SKU-A,Mug,6,1998-03-15 14:30:00,0.005,C6,United States
CD000012,SKU-D,Plate,11,1998-06-30 18:00:00,2.7273,C5,United States
"""
# round(quantity x price, 2), half away from zero, line by line:
#   3 x 14.665 = 43.995 -> 44.00     1 x 1.0005 = 1.0005 -> 1.00    7 x 2.345 = 16.415 -> 16.42
#   2 x 0.125 = 0.25                 12 x 3.3333 = 39.9996 -> 40.00  5 x 9.999 = 49.995 -> 50.00
#  -2 x 14.665 = -29.33              4 x 0.0125 = 0.05               9 x 1.1115 = 10.0035 -> 10.00
#   1 x 123.4565 -> 123.46           6 x 0.005 = 0.03                11 x 2.7273 = 30.0003 -> 30.00
# 44.00 + 1.00 + 16.42 + 0.25 + 40.00 + 50.00 - 29.33 + 0.05 + 10.00 + 123.46 + 0.03 + 30.00
EXPECTED_NET = Decimal("285.88")  # (rounding prices to cents first would give 285.92)
CATALOG = """product_id,sku,name,category,brand,unit_price,currency,active,updated_at
P-A,SKU-A,Mug,kitchen,Acme,14.99,USD,true,1997-01-01T00:00:00Z
P-B,SKU-B,Cup,kitchen,Acme,1.99,USD,true,1997-01-01T00:00:00Z
P-C,SKU-C,Bowl,kitchen,Acme,9.99,USD,true,1997-01-01T00:00:00Z
P-D,SKU-D,Plate,kitchen,Acme,2.99,USD,true,1997-01-01T00:00:00Z
"""
DIRECTORY = [
    {
        "partner_id": PARTNER,
        "name": "Late-Nineties Retail Inc.",
        "country": "US",
        "commission_rate": "0.1",
        "contact_email": "feeds@late-nineties.example",
        "onboarded_at": "1996-11-01",
    }
]
PIPELINE = [
    bronze_products, bronze_partners, bronze_partner_sales, silver_products_assets,
    silver_partners_assets, silver_partner_sales_assets, fx_rates, dim_product, dim_partner,
    dim_date, fact_partner_sales,
    *(a for a in warehouse_assets if a.key.path[-1] in {"dim_product", "dim_partner",
                                                       "dim_date", "fact_partner_sales"}),
]  # fmt: skip
# dim_date also spans silver orders and payments: empty tables here, declared as external.
EXTERNAL = [dg.AssetSpec(["silver", "orders"]), dg.AssetSpec(["silver", "payments"])]
COVERAGE = next(c for c in fx_coverage.CHECKS if "fact_partner_sales" in str(c.check_keys))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnowflakeWarehouse]:
    """A Snowflake stand-in of this module's own, so RETAIL.GOLD here is only this file's."""
    folder = tmp_path_factory.mktemp("partner_feed_warehouse")
    with running_fakesnow(folder / "db", folder / "fakesnow.log") as (_process, port):
        yield SnowflakeWarehouse(
            account="fakesnow", user="fake", password="snow", host="127.0.0.1", port=port,
            protocol="http", create_database_if_missing=True,
        )  # fmt: skip


def _resources(
    stack: StackState,
    lake: LakeResource,
    drops: object,
    warehouse: SnowflakeWarehouse,
    reporting: str,
) -> dict[str, object]:
    return {
        "lake": lake,
        "io_manager": AuditedDeltaIOManager(lake=lake),
        "partner_drops": drops,
        "pii_masking": PiiMaskingResource(hmac_secret="test-only"),
        "fx_feed": FxRatesFeedResource(
            url=stack.services["fx"].url + FEED_PATH, reporting_currency=reporting
        ),
        "warehouse": warehouse,
    }


def _gold_sum(warehouse: SnowflakeWarehouse) -> tuple[Decimal, Decimal, int]:
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT SUM(NET_AMOUNT), SUM(NET_AMOUNT_REPORTING), COUNT(*) "
            "FROM RETAIL.GOLD.FACT_PARTNER_SALES"
        )
        net, reporting, count = cursor.fetchone()
    return Decimal(str(net)), Decimal(str(reporting)), int(count)


def test_a_us_partner_file_reaches_gold_in_dollars_and_has_no_euro_rate_before_1999(
    local_stack: StackState, warehouse: SnowflakeWarehouse, tmp_path: Path
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    for contract in (silver.ORDERS, silver.PAYMENTS):
        lake.replace_table("silver", contract.name, pl.DataFrame(schema=contract.polars_schema))
    with fresh_drops(local_stack) as drops:
        drops.put_bytes("catalog/products.csv", CATALOG.encode())
        drops.put_bytes("partners/partners.json", json.dumps(DIRECTORY).encode())
        drops.put_bytes(f"partner_sales/{PARTNER}/1998-06-30.csv", SALES.encode())

        usd = dg.materialize(
            [*PIPELINE, *EXTERNAL, COVERAGE],
            resources=_resources(local_stack, lake, drops, warehouse, "USD"),
        )
        assert usd.success
        assert lake.scan("silver", "partner_sales_quarantine").collect().height == 0
        assert _gold_sum(warehouse) == (EXPECTED_NET, EXPECTED_NET, 12)
        dollar_version = lake.version("gold", "fact_partner_sales")

        eur = dg.materialize(
            [*PIPELINE, *EXTERNAL, COVERAGE],
            resources=_resources(local_stack, lake, drops, warehouse, "EUR"),
            selection=[fx_rates.key, fact_partner_sales.key, PIPELINE[-1].key],
            raise_on_error=False,
        )

    # The gold audit refuses the euro-less fact before its commit, naming currency and dates.
    assert not eur.success
    (failure,) = eur.get_step_failure_events()
    assert failure.step_key == "gold__fact_partner_sales"
    user_failure = failure.step_failure_data.user_failure_data
    assert user_failure is not None
    # A full build is audited part by part: the failure names its part (here the only one).
    assert (
        "fx_rates_cover_facts failed (part=part 1 of 1 (date_key 19970101..19980630), "
        "lines_without_rate=12, reporting_currency=EUR, "
        "missing=no USD -> EUR rate on or before 1997-01-01, 1997-01-02, 1997-02-14, 1997-03-03, "
        "1997-06-30, 1997-07-01, 1997-09-09, 1997-12-31, 1998-01-01, 1998-03-15 and 1 more days "
        "(12 lines))"
    ) in user_failure.description
    assert lake.version("gold", "fact_partner_sales") == dollar_version
    # Nothing euro-less was published, so Snowflake still holds the dollar load.
    assert PIPELINE[-1].key not in {e.asset_key for e in eur.get_asset_materialization_events()}
    assert _gold_sum(warehouse) == (EXPECTED_NET, EXPECTED_NET, 12)
