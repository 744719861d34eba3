"""Deterministic synthetic retail data behind the local REST, S3 and MongoDB stand-ins.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same seed and scale
give byte-identical output. Money: an order line is worth `quantity * unit_price - discount`
(discount is an absolute EUR amount); a payment's amount is the order total.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from retail_platform.local import entities
from retail_platform.local import vocabulary as vocab
from retail_platform.local.dataset import RetailDataset, iso_utc

__all__ = ["RetailDataset", "generate", "with_order_changes"]

Record = dict[str, Any]

DEFAULT_START_DATE = date(2026, 10, 1)
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
    start_date: date = DEFAULT_START_DATE,
    days: int = 30,
) -> RetailDataset:
    """Build the whole dataset; scale 1.0 is ~2000 customers, ~600 orders a day."""
    if scale <= 0 or days <= 0:
        raise ValueError("scale and days must be positive")
    rng = random.Random(seed)
    window_start = datetime.combine(start_date, time(), tzinfo=UTC)
    window_end = window_start + timedelta(days=days)

    customers = entities.customers(rng, max(10, round(2000 * scale)), window_start, window_end)
    products = entities.products(rng, max(10, round(300 * scale)), window_start)
    partners = entities.partners(rng)
    active_customers = [c for c in customers if not c["is_deleted"]]
    active_products = [p for p in products if p["active"]]

    orders, totals = _orders(rng, scale, active_customers, active_products, window_start, days)
    payments = _payments(rng, orders, totals, window_end)
    orders, malformed, duplicates = _inject_order_defects(rng, orders)
    reviews, pii_review_ids = entities.reviews(
        rng, max(10, round(1500 * scale)), active_customers, products, window_start, window_end
    )
    partner_sales = _partner_sales(rng, scale, partners, active_products, start_date, days)
    # Its own random stream: adding the feed left every record drawn before it unchanged.
    inventory = _inventory(random.Random(f"inventory|{seed}"), active_products, start_date, days)
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
    )


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


def _order_lines(rng: random.Random, products: list[Record]) -> list[Record]:
    line_count = rng.choices((1, 2, 3, 4, 5), (25, 30, 20, 15, 10))[0]
    lines = []
    for number, product in enumerate(rng.sample(products, min(line_count, len(products))), start=1):
        quantity = rng.choices((1, 2, 3, 4, 5), (60, 25, 8, 5, 2))[0]
        discount = 0.0
        if rng.random() < 0.1:
            discount = round(quantity * product["unit_price"] * rng.choice((0.05, 0.1, 0.2)), 2)
        lines.append(
            {
                "line_number": number,
                "product_id": product["product_id"],
                "quantity": quantity,
                "unit_price": product["unit_price"],
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
    """(status, time) per version; cancellations only happen before payment."""
    roll = rng.random()
    if roll < 0.05:
        return [
            ("placed", created),
            ("cancelled", created + timedelta(minutes=rng.randint(5, 1440))),
        ]
    first = ("paid", created) if rng.random() < 0.8 else ("placed", created)
    shipped = created + timedelta(minutes=rng.randint(120, 3 * 1440))
    if roll < 0.08:
        returned = shipped + timedelta(minutes=rng.randint(1440, 2 * 1440))
        return [("paid", created), ("shipped", shipped), ("returned", returned)]
    if roll < 0.78:
        return [first, ("shipped", shipped)]
    return [first]


def _orders(
    rng: random.Random,
    scale: float,
    customers: list[Record],
    products: list[Record],
    window_start: datetime,
    days: int,
) -> tuple[list[Record], dict[str, float]]:
    """Order versions in creation order, plus the total of every order that gets paid."""
    window_end = window_start + timedelta(days=days)
    versions: list[Record] = []
    totals: dict[str, float] = {}
    order_number = 0
    for day_index in range(days):
        day_start = window_start + timedelta(days=day_index)
        factor = WEEKDAY_ORDER_FACTORS[day_start.weekday()] * rng.uniform(0.9, 1.1)
        hours = rng.choices(range(24), HOURLY_ORDER_WEIGHTS, k=max(1, round(600 * scale * factor)))
        for created in sorted(
            day_start + timedelta(hours=h, seconds=rng.randrange(3600)) for h in hours
        ):
            order_number += 1
            order_id = f"O{order_number:07d}"
            customer = rng.choice(customers)
            channel = rng.choices(("web", "app", "store"), (55, 35, 10))[0]
            lines = _order_lines(rng, products)
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
                        "currency": "EUR",
                        "channel": channel,
                        "created_at": iso_utc(created),
                        "updated_at": iso_utc(updated),
                        "lines": [dict(line) for line in lines],
                    }
                )
    return versions, totals


def _payments(
    rng: random.Random, versions: list[Record], totals: dict[str, float], window_end: datetime
) -> list[Record]:
    methods, method_weights = ("card", "paypal", "klarna", "gift_card"), (55, 25, 15, 5)
    drafts: list[tuple[datetime, str, int, str]] = []
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
                "currency": "EUR",
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


WAREHOUSES = ("WH-NL1", "WH-DE1")


def _inventory(
    rng: random.Random, products: list[Record], start_date: date, days: int
) -> list[Record]:
    """One stock snapshot per day: every active sku in every warehouse, sold down and restocked."""
    reorder = {(w, p["sku"]): rng.choice((10, 20, 40)) for w in WAREHOUSES for p in products}
    on_hand = {key: rng.randint(point, point * 6) for key, point in reorder.items()}
    snapshots = []
    for day_index in range(days):
        rows = []
        for (warehouse, sku), point in reorder.items():
            draw = rng.random()  # one draw a row (randint is slow): units sold and reserved
            level = max(0, on_hand[(warehouse, sku)] - int(draw * 9))
            if level < point:
                level += point * 4  # the restock truck came
            on_hand[(warehouse, sku)] = level
            rows.append(
                {
                    "warehouse_id": warehouse,
                    "sku": sku,
                    "on_hand": level,
                    "reserved": int(draw * 7919) % (min(level, 5) + 1),
                    "reorder_point": point,
                }
            )
        day = start_date + timedelta(days=day_index)
        snapshots.append({"snapshot_date": day.isoformat(), "rows": rows})
    return snapshots


def _partner_sales(
    rng: random.Random,
    scale: float,
    partners: list[Record],
    products: list[Record],
    start_date: date,
    days: int,
) -> list[Record]:
    """One UCI "Online Retail" style file per partner per day."""
    invoice_number = 536365  # where the UCI data set starts
    files = []
    for partner in partners:
        price_factor = rng.uniform(0.85, 1.0)  # partners buy at wholesale prices
        home_country = vocab.UCI_COUNTRY_NAMES[partner["country"]]
        for day_index in range(days):
            day = start_date + timedelta(days=day_index)
            invoice_count = max(1, round(40 * scale * rng.uniform(0.75, 1.25)))
            minutes = sorted(rng.randint(8 * 60, 20 * 60 - 1) for _ in range(invoice_count))
            rows: list[Record] = []
            for minute in minutes:
                cancelled = rng.random() < 0.02
                invoice_no = f"C{invoice_number}" if cancelled else str(invoice_number)
                invoice_number += 1
                invoice_date = f"{day.month}/{day.day}/{day.year} {minute // 60}:{minute % 60:02d}"
                customer_id = "" if rng.random() < 0.2 else str(rng.randint(12346, 18287))
                country = (
                    home_country
                    if rng.random() < 0.9
                    else rng.choice(list(vocab.UCI_COUNTRY_NAMES.values()))
                )
                for product in rng.sample(products, min(rng.randint(1, 6), len(products))):
                    quantity = rng.choices((1, 2, 3, 4, 6, 12, 24), (30, 20, 10, 10, 15, 10, 5))[0]
                    rows.append(
                        {
                            "InvoiceNo": invoice_no,
                            "StockCode": product["sku"],
                            "Description": product["name"].upper(),
                            "Quantity": -quantity if cancelled else quantity,
                            "InvoiceDate": invoice_date,
                            "UnitPrice": round(product["unit_price"] * price_factor, 2),
                            "CustomerID": customer_id,
                            "Country": country,
                        }
                    )
            files.append(
                {"partner_id": partner["partner_id"], "sales_date": day.isoformat(), "rows": rows}
            )
    return files
