"""Live mode: the stand-ins keep producing data as wall-clock time passes.

From `started_at` on, every `interval` is one tick. When a tick's interval is over, its batch
is "released": a few new orders (paid, with their payments), a late shipment of an order from
the window, a customer who changes loyalty tier, and every `PARTNER_FILE_EVERY` ticks a partner
sales file. A batch is a pure function of the data set and the tick number, so the REST
simulator (orders, payments, the S3 uploads) and every run process's embedded MongoDB agree
on what has arrived without talking to each other. `stopped_at` freezes the flow.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from retail_platform.local import vocabulary as vocab
from retail_platform.local.dataset import RetailDataset, iso_utc, to_utc
from retail_platform.local.generator import _order_lines, _order_total

Record = dict[str, Any]
PARTNER_FILE_EVERY = 2
DEFAULT_INTERVAL_SECONDS = 120
TIERS = ("bronze", "silver", "gold", "platinum")


@dataclass(frozen=True)
class LiveClock:
    started_at: datetime
    interval: timedelta
    stopped_at: datetime | None = None

    def released(self, now: datetime) -> int:
        """How many ticks are complete at `now` (or at the stop, if earlier)."""
        until = to_utc(now) if self.stopped_at is None else min(to_utc(now), self.stopped_at)
        return max(0, int((until - self.started_at) / self.interval))

    def tick_start(self, tick: int) -> datetime:
        return self.started_at + tick * self.interval


@dataclass
class LiveBatch:
    orders: list[Record] = field(default_factory=list)  # new versions, in feed order
    payments: list[Record] = field(default_factory=list)
    customers: list[Record] = field(default_factory=list)  # new customer versions
    partner_file: tuple[str, list[Record]] | None = None  # (S3 key, UCI rows)


def _stamp(rng: random.Random, clock: LiveClock, tick: int) -> datetime:
    offset = rng.randrange(max(1, int(clock.interval.total_seconds()) - 60))
    return clock.tick_start(tick) + timedelta(seconds=offset)


def live_batch(
    dataset: RetailDataset, clock: LiveClock, tick: int, customers: dict[str, Record]
) -> LiveBatch:
    """Tick `tick`'s data; `customers` (id -> current version) is updated in place."""
    rng = random.Random(f"live|{dataset.seed}|{dataset.scale}|{dataset.end_date}|{tick}")
    batch = LiveBatch()
    active = [c for c in dataset.customers if not c["is_deleted"]]
    products = [p for p in dataset.products if p["active"]]
    for number in range(1 + rng.randrange(3)):
        created = _stamp(rng, clock, tick)
        customer = customers[rng.choice(active)["_id"]]
        currency = vocab.COUNTRY_CURRENCIES.get(customer["address"]["country"], "EUR")
        lines = _order_lines(rng, products, currency)
        order_id = f"L{tick:06d}{number}"
        batch.orders.append(
            {
                "order_id": order_id,
                "customer_id": customer["customer_id"],
                "status": "paid",
                "currency": currency,
                "channel": rng.choice(("web", "app")),
                "created_at": iso_utc(created),
                "updated_at": iso_utc(created),
                "lines": lines,
            }
        )
        paid = created + timedelta(seconds=rng.randint(5, 50))
        batch.payments.append(
            {
                "payment_id": f"LPAY{tick:06d}{number}",
                "order_id": order_id,
                "amount": _order_total(lines),
                "currency": currency,
                "method": rng.choice(("card", "paypal", "klarna")),
                "status": "captured",
                "created_at": iso_utc(paid),
            }
        )
    late = _late_shipment(dataset, rng, clock, tick)
    if late is not None:
        batch.orders.append(late)
    changed = json.loads(json.dumps(customers[rng.choice(active)["_id"]]))
    position = TIERS.index(changed["loyalty_tier"])
    changed["loyalty_tier"] = TIERS[position + 1 if position < 3 else position - 1]
    changed["updated_at"] = iso_utc(_stamp(rng, clock, tick))
    customers[changed["_id"]] = changed
    batch.customers.append(changed)
    if tick % PARTNER_FILE_EVERY == 0:
        batch.partner_file = _partner_file(dataset, rng, clock, tick, products)
    batch.orders.sort(key=lambda o: (o["updated_at"], o["order_id"]))
    batch.payments.sort(key=lambda p: (p["created_at"], p["payment_id"]))
    return batch


def _late_shipment(
    dataset: RetailDataset, rng: random.Random, clock: LiveClock, tick: int
) -> Record | None:
    """An order of the window's last weeks ships now: a late update to an earlier day."""
    recent = dataset.orders[-200:]
    candidates = [o for o in recent if o["status"] == "paid" and isinstance(o["lines"], list)]
    if not candidates:
        return None
    version = json.loads(json.dumps(rng.choice(candidates)))
    version["status"] = "shipped"
    version["updated_at"] = iso_utc(_stamp(rng, clock, tick))
    return version


def _partner_file(
    dataset: RetailDataset,
    rng: random.Random,
    clock: LiveClock,
    tick: int,
    products: list[Record],
) -> tuple[str, list[Record]]:
    partner = dataset.partners[(tick // PARTNER_FILE_EVERY) % len(dataset.partners)]
    day = clock.tick_start(tick)
    rows = []
    for invoice in range(1 + rng.randrange(3)):
        minute = rng.randint(0, 59)
        for product in rng.sample(products, min(rng.randint(1, 3), len(products))):
            rows.append(
                {
                    "InvoiceNo": f"9{tick:05d}{invoice}",
                    "StockCode": product["sku"],
                    "Description": product["name"].upper(),
                    "Quantity": rng.choice((1, 2, 6, 12)),
                    "InvoiceDate": f"{day.month}/{day.day}/{day.year} {day.hour}:{minute:02d}",
                    "UnitPrice": round(product["unit_price"] * 0.9, 2),
                    "CustomerID": str(rng.randint(12346, 18287)),
                    "Country": vocab.UCI_COUNTRY_NAMES[partner["country"]],
                }
            )
    key = f"partner_sales/{partner['partner_id']}/{day:%Y-%m-%dT%H%M%S}.csv"
    return key, rows


class LiveFeed:
    """Releases batches in tick order and keeps the dataset as it stands after them."""

    def __init__(self, dataset: RetailDataset, clock: LiveClock) -> None:
        self.base = dataset
        self.clock = clock
        self.dataset = dataset
        self.applied = 0
        self._customers = {c["_id"]: c for c in dataset.customers}
        self.customer_versions: list[Record] = []
        self.partner_files: list[tuple[str, list[Record]]] = []

    def catch_up(self, now: datetime) -> RetailDataset:
        released = self.clock.released(now)
        if released <= self.applied:
            return self.dataset
        orders, payments = list(self.dataset.orders), list(self.dataset.payments)
        for tick in range(self.applied, released):
            batch = live_batch(self.base, self.clock, tick, self._customers)
            orders.extend(batch.orders)
            payments.extend(batch.payments)
            self.customer_versions.extend(batch.customers)
            if batch.partner_file is not None:
                self.partner_files.append(batch.partner_file)
        self.applied = released
        self.dataset = replace(self.dataset, orders=orders, payments=payments)
        return self.dataset
