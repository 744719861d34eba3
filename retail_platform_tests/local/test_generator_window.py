"""The rolling 13-month window: dates, currencies, customer history, late changes."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime

import polars as pl
import pytest

from retail_platform.local.dataset import RetailDataset
from retail_platform.local.fx_feed import SNAPSHOT as FX_SNAPSHOT
from retail_platform.local.generator import generate
from retail_platform.local.window import DATA_END_VARIABLE, data_end_date, window_start
from retail_platform.resources.fx import FxRatesFeedResource

END = date(2026, 10, 30)


@pytest.fixture(scope="module")
def dataset() -> RetailDataset:
    return generate(seed=7, scale=0.2, end_date=END)


def _latest(dataset: RetailDataset) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for order in dataset.orders:
        latest[order["order_id"]] = order
    return latest


def _well_formed(dataset: RetailDataset) -> list[dict]:
    broken = {(m["order_id"], m["updated_at"]) for m in dataset.malformed_orders}
    return [o for o in dataset.orders if (o["order_id"], o["updated_at"]) not in broken]


def test_the_window_is_13_calendar_months_up_to_the_end_date() -> None:
    assert window_start(date(2026, 10, 30)) == date(2025, 10, 1)
    assert window_start(date(2026, 1, 31)) == date(2025, 1, 1)
    assert window_start(date(2026, 12, 1)) == date(2025, 12, 1)


def test_the_end_date_is_yesterday_unless_pinned() -> None:
    now = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert data_end_date({}, now) == date(2026, 2, 28)
    assert data_end_date({DATA_END_VARIABLE: "2026-05-06"}, now) == date(2026, 5, 6)
    with pytest.raises(ValueError, match=DATA_END_VARIABLE):
        data_end_date({DATA_END_VARIABLE: "yesterday"}, now)


def test_the_dataset_spans_the_window(dataset: RetailDataset) -> None:
    assert (dataset.start_date, dataset.end_date, dataset.days) == (date(2025, 10, 1), END, 395)
    created = sorted(o["created_at"] for o in _well_formed(dataset))
    assert created[0][:10] == "2025-10-01"
    assert created[-1][:10] == "2026-10-30"
    months = {o["created_at"][:7] for o in _well_formed(dataset)}
    assert len(months) == 13


def test_another_end_date_gives_another_dataset_and_the_same_one_the_same() -> None:
    def as_json(d: RetailDataset) -> str:
        return json.dumps(asdict(d), default=str, sort_keys=True)

    first = generate(seed=3, scale=0.02, end_date=END)
    assert as_json(first) == as_json(generate(seed=3, scale=0.02, end_date=END))
    later = generate(seed=3, scale=0.02, end_date=date(2026, 10, 31))
    assert later.start_date == date(2025, 10, 1) and later.days == 396
    assert as_json(first) != as_json(later)


def test_the_total_volume_does_not_depend_on_the_window_length() -> None:
    month = generate(seed=3, scale=0.2, end_date=END, days=30)
    window = generate(seed=3, scale=0.2, end_date=END)
    month_orders = len({o["order_id"] for o in month.orders})
    window_orders = len({o["order_id"] for o in window.orders})
    # 600 orders a day for 30 days at scale 1: 3,600 at 0.2, within the weekday swing.
    assert 3_200 <= month_orders <= 4_000
    assert 3_200 <= window_orders <= 4_000


def test_orders_and_payments_come_in_four_currencies_by_the_customers_country(
    dataset: RetailDataset,
) -> None:
    currencies = Counter(o["currency"] for o in _latest(dataset).values())
    assert set(currencies) == {"EUR", "GBP", "USD", "CHF"}
    assert currencies["EUR"] > currencies["GBP"] > 0
    payment_currency = {p["order_id"]: p["currency"] for p in dataset.payments}
    latest = _latest(dataset)
    assert all(latest[order_id]["currency"] == c for order_id, c in payment_currency.items())


def test_every_currency_and_day_generated_has_a_shipped_rate(dataset: RetailDataset) -> None:
    """Every generated currency has an ECB rate (per EUR; EUR itself needs none) on or before
    each day it is used, in the snapshot the local FX stand-in serves."""
    rates = FxRatesFeedResource(url=FX_SNAPSHOT.as_uri()).rates_per_base()
    first_rate = {
        currency: day
        for currency, day in rates.group_by("currency").agg(pl.col("rate_date").min()).rows()
    }
    first_rate["EUR"] = date(1999, 1, 1)
    for record in [*_well_formed(dataset), *dataset.payments]:
        currency = record["currency"]
        assert currency in first_rate, currency
        assert first_rate[currency] <= date.fromisoformat(record["created_at"][:10])


def test_customers_change_tier_and_country_during_the_window(dataset: RetailDataset) -> None:
    versions: dict[str, list[dict]] = {}
    for version in dataset.customer_versions:
        versions.setdefault(version["_id"], []).append(version)
    tier_changes = country_changes = 0
    for history in versions.values():
        for before, after in itertools.pairwise(history):
            assert before["updated_at"] <= after["updated_at"]
            assert "2025-10-01" <= after["updated_at"][:10] <= "2026-10-30"
            tier_changes += before["loyalty_tier"] != after["loyalty_tier"]
            country_changes += before["address"]["country"] != after["address"]["country"]
    # 400 customers at scale 0.2: ~22% change tier, ~6% move.
    assert 60 <= tier_changes <= 120
    assert 12 <= country_changes <= 40
    assert [c["_id"] for c in dataset.customers] == sorted(versions)
    assert all(c == versions[c["_id"]][-1] for c in dataset.customers)


def test_the_collection_as_of_a_moment_shows_the_state_then(dataset: RetailDataset) -> None:
    moment = datetime(2026, 4, 1, tzinfo=UTC)
    then = {c["_id"]: c for c in dataset.customers_as_of(moment)}
    by_id: dict[str, dict] = {}
    for version in dataset.customer_versions:
        if version["updated_at"] < "2026-04-01T00:00:00Z":
            by_id[version["_id"]] = version
    assert then == by_id
    signed_up_later = [c for c in dataset.customers if c["created_at"] >= "2026-04-01T00:00:00Z"]
    assert signed_up_later and not any(c["_id"] in then for c in signed_up_later)
    changed_later = [c for c in dataset.customers if c["updated_at"] >= "2026-04-01T00:00:00Z"]
    changed_later = [c for c in changed_later if c["_id"] in then]
    assert changed_later and all(then[c["_id"]] != c for c in changed_later)


def test_customers_sign_up_all_along_and_order_only_afterwards(dataset: RetailDataset) -> None:
    signed_up = {c["_id"]: c["created_at"] for c in dataset.customers}
    months = {stamp[:7] for stamp in signed_up.values() if stamp >= "2025-10-01"}
    assert len(months) == 13  # a cohort of new customers every month
    for order in _well_formed(dataset):
        if order.get("customer_id"):
            assert signed_up[order["customer_id"]] <= order["created_at"], order["order_id"]


def test_late_updates_returns_and_cancellations_cross_months(dataset: RetailDataset) -> None:
    late = cross_month_returns = cross_month_cancels = 0
    for order in _well_formed(dataset):
        created = datetime.fromisoformat(order["created_at"])
        updated = datetime.fromisoformat(order["updated_at"])
        crosses = order["created_at"][:7] != order["updated_at"][:7]
        late += (updated - created).days >= 7
        cross_month_returns += order["status"] == "returned" and crosses
        cross_month_cancels += order["status"] == "cancelled" and crosses
    assert late >= 50
    assert cross_month_returns >= 5
    assert cross_month_cancels >= 1


def test_partner_statements_cover_the_window_without_gaps(dataset: RetailDataset) -> None:
    by_partner: dict[str, list[str]] = {}
    for sales_file in dataset.partner_sales:
        by_partner.setdefault(sales_file["partner_id"], []).append(sales_file["sales_date"])
    assert len(by_partner) == 8
    for dates in by_partner.values():
        assert dates == sorted(dates) and dates[-1] == "2026-10-30"
        gaps = [
            (date.fromisoformat(b) - date.fromisoformat(a)).days
            for a, b in itertools.pairwise(dates)
        ]
        assert set(gaps[:-1]) == {14} and 1 <= gaps[-1] <= 14  # the last one is partial
    invoice_months = {
        row["InvoiceDate"].split(" ")[0].split("/")[2] + "-" + row["InvoiceDate"].split("/")[0]
        for sales_file in dataset.partner_sales
        for row in sales_file["rows"]
    }
    assert len(invoice_months) == 13
