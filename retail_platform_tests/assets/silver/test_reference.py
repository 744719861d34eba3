"""The exchange rates asset: the ECB-format feed over real HTTP, into the reporting currency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.silver.reference import fx_rates
from retail_platform.contracts import silver
from retail_platform.local.fx_feed import FEED_PATH, serve
from retail_platform.resources.fx import FxRatesFeedResource
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_io import DeltaLakeIOManager
from retail_platform.transforms.silver.fx_rates import UnknownReportingCurrencyError


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    """The local stand-in in a thread: the shipped snapshot at the ECB's path."""
    server = serve("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{FEED_PATH}"
    finally:
        server.shutdown()
        server.server_close()


def _materialize(tmp_path: Path, url: str, reporting: str) -> dg.ExecuteInProcessResult:
    lake = LakeResource(root=str(tmp_path))
    return dg.materialize(
        [fx_rates],
        resources={
            "io_manager": DeltaLakeIOManager(lake=lake),
            "fx_feed": FxRatesFeedResource(url=url, reporting_currency=reporting),
        },
        raise_on_error=False,
    )


def test_the_rates_asset_reads_the_feed_into_the_reporting_currency(
    tmp_path: Path, feed_url: str
) -> None:
    assert _materialize(tmp_path, feed_url, "USD").success

    rates = LakeResource(root=str(tmp_path)).scan("silver", "fx_rates").collect()
    assert rates.schema == silver.FX_RATES.polars_schema
    first_eur = rates.filter(pl.col("currency") == "EUR").sort("rate_date").row(0)
    # 1999-01-04: 1 EUR = 1.1789 USD (the ECB's first published rate)
    assert first_eur == ("EUR", date(1999, 1, 4), Decimal("1.1789000000"), "USD")
    gbp = rates.filter((pl.col("currency") == "GBP") & (pl.col("rate_date") == date(1999, 1, 4)))
    # 1.1789 / 0.7111 = 1.65785402896...
    assert gbp.get_column("rate_to_reporting").to_list() == [Decimal("1.6578540290")]
    usd = rates.filter(pl.col("currency") == "USD").get_column("rate_to_reporting").unique()
    assert usd.to_list() == [Decimal("1")]


def test_a_reporting_currency_the_feed_lacks_fails_naming_it(tmp_path: Path, feed_url: str) -> None:
    result = _materialize(tmp_path, feed_url, "XAU")

    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert "reporting currency 'XAU' is not in the FX feed" in str(failure.step_failure_data.error)
    assert UnknownReportingCurrencyError.__name__ in str(failure.step_failure_data.error.cause)
