"""The generated retail dataset and the views the local stand-ins serve from it.

Records are plain JSON-ready dicts; the REST simulator, the S3 seeder and the MongoDB seeder
all read from one `RetailDataset`, so tests can compare what a pipeline loaded with the truth.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

import polars as pl

Record = dict[str, Any]

PRODUCT_CSV_COLUMNS = (
    "product_id",
    "sku",
    "name",
    "category",
    "brand",
    "unit_price",
    "currency",
    "active",
    "updated_at",
)
UCI_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
PARTNERS_KEY = "partners/partners.json"
INVENTORY_SCHEMA = pl.Schema(
    {
        "snapshot_date": pl.Date,
        "warehouse_id": pl.String,
        "sku": pl.String,
        "on_hand": pl.Int32,
        "reserved": pl.Int32,
        "reorder_point": pl.Int32,
    }
)


def catalog_key(snapshot_day: date) -> str:
    """The catalog arrives gzipped; the partner sales files arrive as plain CSV."""
    return f"catalog/products_{snapshot_day.isoformat()}.csv.gz"


def inventory_key(snapshot_day: date) -> str:
    return f"inventory/stock_{snapshot_day.isoformat()}.parquet"


def partner_sales_key(partner_id: str, sales_day: date) -> str:
    return f"partner_sales/{partner_id}/{sales_day.isoformat()}.csv"


def iso_utc(moment: datetime) -> str:
    """The one timestamp format of the dataset: "2026-10-03T14:05:09Z"."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; naive input is taken to already be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class RetailDataset:
    """Everything the local sources serve for one seed, scale and date window.

    `orders` is a change feed: every entry is a full version of an order, ordered by
    (updated_at, order_id), with the deliberate duplicates and malformed versions included.
    """

    seed: int
    scale: float
    start_date: date
    days: int
    customers: list[Record]
    reviews: list[Record]
    products: list[Record]
    partners: list[Record]
    orders: list[Record]
    payments: list[Record]  # ordered by (created_at, payment_id)
    partner_sales: list[Record]  # {"partner_id", "sales_date", "rows": [UCI rows]} per file
    malformed_orders: list[Record]  # {"order_id", "updated_at", "defect"} per broken version
    duplicate_orders: list[Record]  # {"order_id", "updated_at"} of versions delivered twice
    pii_review_ids: list[str]  # reviews whose text leaks an email, phone or card number
    # {"snapshot_date", "rows": [stock rows]} per day: the Parquet feed of warehouse stock
    inventory: list[Record] = field(default_factory=list)
    # Every version of every customer document, ordered by (updated_at, _id); `customers`
    # holds the last of each, as the collection stands at the end of the window.
    customer_versions: list[Record] = field(default_factory=list)

    @property
    def end_date(self) -> date:
        """The last day of the window (inclusive)."""
        return self.start_date + timedelta(days=self.days - 1)

    def customers_as_of(self, moment: datetime) -> list[Record]:
        """The customer collection as it stood just before `moment` (in `customers` order):
        customers who signed up later are not in it yet."""
        cutoff = iso_utc(moment)
        latest: dict[str, Record] = {}
        for version in self.customer_versions:
            if version["updated_at"] < cutoff:
                latest[version["_id"]] = version
        return [latest[c["_id"]] for c in self.customers if c["_id"] in latest]

    @property
    def window_start(self) -> datetime:
        return datetime.combine(self.start_date, time(), tzinfo=UTC)

    @property
    def window_end(self) -> datetime:
        """Exclusive end of the generated period."""
        return self.window_start + timedelta(days=self.days)

    @property
    def malformed_order_ids(self) -> list[str]:
        return sorted({item["order_id"] for item in self.malformed_orders})

    @cached_property
    def _order_update_times(self) -> list[datetime]:
        # Parsed once; `orders` is sorted by updated_at, so windows are two binary searches.
        return [datetime.fromisoformat(order["updated_at"]) for order in self.orders]

    def orders_updated_between(self, start: datetime, end: datetime) -> list[Record]:
        """Versions with start <= updated_at < end, in feed order, duplicates included."""
        times = self._order_update_times
        first = bisect_left(times, to_utc(start))
        last = bisect_left(times, to_utc(end))
        return self.orders[first:last]

    @cached_property
    def _payments_by_day(self) -> dict[str, list[Record]]:
        by_day: dict[str, list[Record]] = {}
        for payment in self.payments:
            by_day.setdefault(payment["created_at"][:10], []).append(payment)
        return by_day

    def payments_on(self, day: date) -> list[Record]:
        """Payments created on that UTC day, ordered by (created_at, payment_id)."""
        return list(self._payments_by_day.get(day.isoformat(), []))

    def s3_objects(self) -> dict[str, bytes]:
        """The S3 landing zone: one product catalog, the partner list, daily partner sales."""
        objects = {
            catalog_key(self.start_date): _products_csv(self.products),
            PARTNERS_KEY: json.dumps(self.partners, indent=2, ensure_ascii=False).encode(),
        }
        for sales_file in self.partner_sales:
            key = partner_sales_key(
                sales_file["partner_id"], date.fromisoformat(sales_file["sales_date"])
            )
            objects[key] = _uci_csv(sales_file["rows"])
        for snapshot in self.inventory:
            day = date.fromisoformat(snapshot["snapshot_date"])
            objects[inventory_key(day)] = _inventory_parquet(day, snapshot["rows"])
        return objects


def _products_csv(products: list[Record]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PRODUCT_CSV_COLUMNS)
    for product in products:
        row = dict(product)
        row["unit_price"] = f"{product['unit_price']:.2f}"
        row["active"] = "true" if product["active"] else "false"
        writer.writerow([row[column] for column in PRODUCT_CSV_COLUMNS])
    # mtime=0: the same dataset gives byte-identical objects (and so the same ETags).
    return gzip.compress(buffer.getvalue().encode(), mtime=0)


def _inventory_parquet(day: date, rows: list[Record]) -> bytes:
    frame = pl.DataFrame(
        [{"snapshot_date": day, **row} for row in rows], schema=INVENTORY_SCHEMA, orient="row"
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _uci_csv(rows: list[Record]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(UCI_COLUMNS)
    for row in rows:
        writer.writerow([f"{row[c]:.2f}" if c == "UnitPrice" else row[c] for c in UCI_COLUMNS])
    return buffer.getvalue().encode()
