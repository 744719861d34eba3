"""Deterministic synthetic retail data behind the local REST, S3 and MongoDB stand-ins.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same seed and scale
give byte-identical output. Money: an order line is worth `quantity * unit_price - discount`
(discount is an absolute EUR amount); a payment's amount is the order total.
"""

from __future__ import annotations

import dataclasses
import json
import random
from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from retail_platform.local import entities
from retail_platform.local import partner_feeds as feeds
from retail_platform.local import vocabulary as vocab
from retail_platform.local.dataset import RetailDataset, iso_utc
from retail_platform.local.window import data_end_date, window_days

__all__ = ["RetailDataset", "generate", "with_order_changes"]

Record = dict[str, Any]

ORDER_DEFECTS = (
    "customer_id_missing",
    "customer_id_null",
    "quantity_not_numeric",
    "created_at_bad_format",
    "lines_not_list",
)
# Evening-heavy shopping curve, index = hour of day (UTC).
HOURLY_ORDER_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 11, 12, 12, 10, 6, 3)
WEEKDAY_ORDER_FACTORS = (0.9, 0.95, 0.95, 1.0, 1.05, 1.1, 1.05)  # Monday .. Sunday


def generate(
    seed: int = 42,
    scale: float = 1.0,
    end_date: date | None = None,
    days: int | None = None,
) -> RetailDataset:
    """Build the whole dataset; scale 1.0 is ~2000 customers and ~18,000 orders.

    The window ends on `end_date` (default: `window.data_end_date()`, yesterday unless pinned)
    and spans `days` days, by default the 13 calendar months up to it. The total volume at a
    scale does not depend on the window's length: a longer window has fewer orders a day.
    """
    end_date = end_date or data_end_date()
    days = days if days is not None else window_days(end_date)
    if scale <= 0 or days <= 0:
        raise ValueError("scale and days must be positive")
    start_date = end_date - timedelta(days=days - 1)
    rng = random.Random(f"{seed}|{end_date.isoformat()}|{days}")
    window_start = datetime.combine(start_date, time(), tzinfo=UTC)
    window_end = window_start + timedelta(days=days)

    initial = entities.customers(rng, max(10, round(2000 * scale)), window_start, window_end)
    changes = entities.customer_changes(
        random.Random(f"customer-changes|{seed}|{end_date}"), initial, window_start, window_end
    )
    customers = _latest_versions(initial, changes)
    products = entities.products(rng, max(10, round(300 * scale)), window_start)
    partners = entities.partners(rng)
    active_customers = [c for c in customers if not c["is_deleted"]]
    active_products = [p for p in products if p["active"]]
    countries = _country_timelines(initial, changes)

    orders, totals = _orders(
        rng, scale, active_customers, countries, active_products, window_start, days
    )
    payments = _payments(rng, orders, totals, window_end)
    orders, malformed, duplicates = _inject_order_defects(rng, orders)
    reviews, pii_review_ids = entities.reviews(
        rng, max(10, round(1500 * scale)), active_customers, products, window_start, window_end
    )
    partner_sales = feeds.partner_sales(rng, scale, partners, active_products, start_date, days)
    # Its own random stream: adding the feed left every record drawn before it unchanged.
    inventory = feeds.inventory(
        random.Random(f"inventory|{seed}"), active_products, start_date, days
    )
    return RetailDataset(
        seed=seed,
        scale=scale,
        start_date=start_date,
        days=days,
        customers=customers,
        reviews=reviews,
        products=products,
        partners=partners,
        orders=orders,
        payments=payments,
        partner_sales=partner_sales,
        malformed_orders=malformed,
        duplicate_orders=duplicates,
        pii_review_ids=pii_review_ids,
        inventory=inventory,
        customer_versions=sorted(initial + changes, key=lambda v: (v["updated_at"], v["_id"])),
    )


def _latest_versions(initial: list[Record], changes: list[Record]) -> list[Record]:
    latest = {doc["_id"]: doc for doc in initial}
    for version in changes:  # ordered by updated_at: the last one wins
        latest[version["_id"]] = version
    return [latest[doc["_id"]] for doc in initial]


def _country_timelines(
    initial: list[Record], changes: list[Record]
) -> dict[str, list[tuple[str, str]]]:
    """customer_id -> [(from updated_at, country)], oldest first."""
    timelines = {doc["_id"]: [("", doc["address"]["country"])] for doc in initial}
    for version in changes:
        timeline = timelines[version["_id"]]
        if version["address"]["country"] != timeline[-1][1]:
            timeline.append((version["updated_at"], version["address"]["country"]))
    return timelines


def _currency_at(timeline: list[tuple[str, str]], at: str) -> str:
    country = next(country for since, country in reversed(timeline) if since <= at)
    return vocab.COUNTRY_CURRENCIES.get(country, "EUR")


def with_order_changes(
    dataset: RetailDataset,
    fraction: float,
    at: datetime,
    spacing: timedelta = timedelta(minutes=1),
) -> RetailDataset:
    """The API a little later: `fraction` of the orders get one more version.

    The new versions are stamped `at`, `at + spacing`, ...; a paid order ships, any other keeps
    its status (an address or note fix). Deterministic for a dataset and `at`.
    """
    latest: dict[str, Record] = {}
    for version in dataset.orders:
        latest[version["order_id"]] = version
    rng = random.Random(f"order-changes|{dataset.seed}|{iso_utc(at)}")
    count = max(1, round(len(latest) * fraction)) if fraction > 0 else 0
    added = []
    for index, order_id in enumerate(sorted(rng.sample(sorted(latest), count))):
        version = json.loads(json.dumps(latest[order_id]))  # a deep copy
        if version["status"] == "paid":
            version["status"] = "shipped"
        version["updated_at"] = iso_utc(at + index * spacing)
        added.append(version)
    orders = sorted(dataset.orders + added, key=_feed_key)  # stable: old order kept
    return dataclasses.replace(dataset, orders=orders)


def _order_lines(rng: random.Random, products: list[Record], currency: str) -> list[Record]:
    line_count = rng.choices((1, 2, 3, 4, 5), (25, 30, 20, 15, 10))[0]
    lines = []
    factor = vocab.PRICE_LIST_FACTORS[currency]
    for number, product in enumerate(rng.sample(products, min(line_count, len(products))), start=1):
        quantity = rng.choices((1, 2, 3, 4, 5), (60, 25, 8, 5, 2))[0]
        unit_price = round(product["unit_price"] * factor, 2)  # the storefront's price list
        discount = 0.0
        if rng.random() < 0.1:
            discount = round(quantity * unit_price * rng.choice((0.05, 0.1, 0.2)), 2)
        lines.append(
            {
                "line_number": number,
                "product_id": product["product_id"],
                "quantity": quantity,
                "unit_price": unit_price,
                "discount": discount,
            }
        )
    return lines


def _order_total(lines: list[Record]) -> float:
    line_amounts = (round(ln["quantity"] * ln["unit_price"] - ln["discount"], 2) for ln in lines)
    return round(sum(line_amounts), 2)


def _feed_key(item: Record) -> tuple[str, str]:
    return item["updated_at"], item["order_id"]


def _status_history(rng: random.Random, created: datetime) -> list[tuple[str, datetime]]:
    """(status, time) per version; cancellations only happen before payment.

    Late changes reach back: a cancellation up to 3 days later, a return up to 5 weeks after
    shipping, and ~6% of shipped orders get a late correction (address or note) 3 to 40 days
    after they were placed, so an incremental load meets updates to orders of earlier months.
    """
    roll = rng.random()
    if roll < 0.05:
        return [
            ("placed", created),
            ("cancelled", created + timedelta(minutes=rng.randint(5, 3 * 1440))),
        ]
    first = ("paid", created) if rng.random() < 0.8 else ("placed", created)
    shipped = created + timedelta(minutes=rng.randint(120, 3 * 1440))
    if roll < 0.08:
        returned = shipped + timedelta(minutes=rng.randint(1440, 35 * 1440))
        return [("paid", created), ("shipped", shipped), ("returned", returned)]
    if roll < 0.78:
        history = [first, ("shipped", shipped)]
        if rng.random() < 0.06:
            late = max(shipped, created + timedelta(days=rng.randint(3, 40)))
            history.append(("shipped", late + timedelta(minutes=1)))
        return history
    return [first]


# 600 orders a day over 30 days at scale 1: the volume the platform was first sized for.
ORDERS_AT_SCALE_1 = 600 * 30


def _orders(
    rng: random.Random,
    scale: float,
    customers: list[Record],
    countries: dict[str, list[tuple[str, str]]],
    products: list[Record],
    window_start: datetime,
    days: int,
) -> tuple[list[Record], dict[str, float]]:
    """Order versions in creation order, plus the total of every order that gets paid.

    An order is in the currency of the customer's country when it was placed.
    """
    window_end = window_start + timedelta(days=days)
    per_day = ORDERS_AT_SCALE_1 * scale / days
    # Customers only order once they have signed up.
    customers = sorted(customers, key=lambda c: (c["created_at"], c["customer_id"]))
    signed_up = [c["created_at"] for c in customers]
    versions: list[Record] = []
    totals: dict[str, float] = {}
    order_number = 0
    for day_index in range(days):
        day_start = window_start + timedelta(days=day_index)
        factor = WEEKDAY_ORDER_FACTORS[day_start.weekday()] * rng.uniform(0.9, 1.1)
        count = max(1, round(per_day * factor)) if per_day >= 1 else int(rng.random() < per_day)
        hours = rng.choices(range(24), HOURLY_ORDER_WEIGHTS, k=count)
        for created in sorted(
            day_start + timedelta(hours=h, seconds=rng.randrange(3600)) for h in hours
        ):
            order_number += 1
            order_id = f"O{order_number:07d}"
            customer = customers[rng.randrange(max(1, bisect_left(signed_up, iso_utc(created))))]
            currency = _currency_at(countries[customer["customer_id"]], iso_utc(created))
            channel = rng.choices(("web", "app", "store"), (55, 35, 10))[0]
            lines = _order_lines(rng, products, currency)
            history = _status_history(rng, created)
            if history[-1][0] != "cancelled":  # cancelled orders are never paid
                totals[order_id] = _order_total(lines)
            for status, updated in history:
                if updated >= window_end:
                    break  # late updates past the window have not happened yet
                versions.append(
                    {
                        "order_id": order_id,
                        "customer_id": customer["customer_id"],
                        "status": status,
                        "currency": currency,
                        "channel": channel,
                        "created_at": iso_utc(created),
                        "updated_at": iso_utc(updated),
                        "lines": [dict(line) for line in lines],
                    }
                )
    versions.sort(key=_feed_key)  # late corrections interleave with later orders
    return versions, totals


def _payments(
    rng: random.Random, versions: list[Record], totals: dict[str, float], window_end: datetime
) -> list[Record]:
    methods, method_weights = ("card", "paypal", "klarna", "gift_card"), (55, 25, 15, 5)
    drafts: list[tuple[datetime, str, int, str]] = []
    currencies = {version["order_id"]: version["currency"] for version in versions}
    for version in versions:
        order_id, status = version["order_id"], version["status"]
        at = datetime.fromisoformat(version["updated_at"])
        if status == "returned":
            drafts.append((at + timedelta(minutes=rng.randint(1, 120)), order_id, 2, "refunded"))
            continue
        if version["created_at"] != version["updated_at"] or order_id not in totals:
            continue  # only the first version of a paid order triggers its payment
        if status == "placed":
            at += timedelta(minutes=rng.randint(10, 110))  # paid later, but before shipping
        at += timedelta(seconds=rng.randint(1, 90))
        if rng.random() < 0.04:
            drafts.append((at, order_id, 0, "failed"))
            at += timedelta(seconds=rng.randint(30, 600))
        drafts.append((at, order_id, 1, "captured"))
    drafts.sort()
    payments = []
    method_by_order: dict[str, str] = {}
    for at, order_id, _, status in drafts:
        if at >= window_end:
            continue
        method = rng.choices(methods, method_weights)[0]
        if status == "refunded":
            method = method_by_order.get(order_id, method)  # refund goes back where it came from
        elif status == "captured":
            method_by_order[order_id] = method
        payments.append(
            {
                "payment_id": f"PAY{len(payments) + 1:07d}",
                "order_id": order_id,
                "amount": totals[order_id],
                "currency": currencies[order_id],
                "method": method,
                "status": status,
                "created_at": iso_utc(at),
            }
        )
    return payments


def _inject_order_defects(
    rng: random.Random, versions: list[Record]
) -> tuple[list[Record], list[Record], list[Record]]:
    """Break ~0.2% of versions, deliver ~0.2% twice, sort the feed by (updated_at, order_id)."""
    duplicate_count = max(1, round(len(versions) * 0.002))
    malformed_count = max(len(ORDER_DEFECTS), round(len(versions) * 0.002))
    chosen = rng.sample(range(len(versions)), duplicate_count + malformed_count)
    malformed = []
    for defect_index, version_index in enumerate(sorted(chosen[duplicate_count:])):
        version = versions[version_index]
        defect = ORDER_DEFECTS[defect_index % len(ORDER_DEFECTS)]
        if defect == "customer_id_missing":
            del version["customer_id"]
        elif defect == "customer_id_null":
            version["customer_id"] = None
        elif defect == "quantity_not_numeric":
            line = version["lines"][0]
            line["quantity"] = vocab.NUMBER_WORDS[line["quantity"]]
        elif defect == "created_at_bad_format":
            created = datetime.fromisoformat(version["created_at"])
            version["created_at"] = created.strftime("%d/%m/%Y %H:%M")
        else:  # a double-encoded JSON string where a list belongs
            version["lines"] = json.dumps(version["lines"])
        malformed.append(
            {"order_id": version["order_id"], "updated_at": version["updated_at"], "defect": defect}
        )
    duplicates = [
        {"order_id": versions[i]["order_id"], "updated_at": versions[i]["updated_at"]}
        for i in sorted(chosen[:duplicate_count])
    ]
    feed = versions + [
        json.loads(json.dumps(versions[i])) for i in sorted(chosen[:duplicate_count])
    ]
    feed.sort(key=_feed_key)  # stable sort: each duplicate lands right after its original
    return feed, sorted(malformed, key=_feed_key), sorted(duplicates, key=_feed_key)
