from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from retail_platform.local.dataset import INVENTORY_SCHEMA, UCI_COLUMNS, RetailDataset
from retail_platform.local.generator import ORDER_DEFECTS, generate, with_order_changes

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UCI_DATE = re.compile(r"^(1[0-2]|[1-9])/([1-9]|[12]\d|3[01])/\d{4} ([01]?\d|2[0-3]):[0-5]\d$")
CARD_NUMBER = "4111 1111 1111 1111"


def _as_json(dataset: RetailDataset) -> str:
    return json.dumps(asdict(dataset), default=str, sort_keys=True)


@pytest.fixture(scope="module")
def small() -> RetailDataset:
    return generate(seed=7, scale=0.05)


@pytest.fixture(scope="module")
def full() -> tuple[RetailDataset, float]:
    started = time.perf_counter()
    dataset = generate()
    return dataset, time.perf_counter() - started


def test_same_seed_gives_identical_output() -> None:
    first, second = generate(seed=3, scale=0.05), generate(seed=3, scale=0.05)
    assert _as_json(first) == _as_json(second)
    assert first.s3_objects() == second.s3_objects()


def test_different_seed_gives_different_output() -> None:
    assert _as_json(generate(seed=3, scale=0.05)) != _as_json(generate(seed=4, scale=0.05))


def test_full_scale_volumes(full: tuple[RetailDataset, float]) -> None:
    # The generator's speed is reported by `make bench` (benchmarks/local_sources.py).
    dataset, _ = full
    assert len(dataset.customers) == 2000
    assert len(dataset.products) == 300
    assert len(dataset.partners) == 8
    first_versions = [o for o in dataset.orders if o["created_at"] == o["updated_at"]]
    order_ids = {o["order_id"] for o in dataset.orders}
    assert 16_000 <= len(order_ids) <= 20_000
    line_count = sum(len(o["lines"]) for o in first_versions if isinstance(o["lines"], list))
    assert 38_000 <= line_count <= 52_000
    assert 1_400 <= len(dataset.reviews) <= 1_600
    # A statement a fortnight per partner over 395 days: 28 to 30 files each.
    assert 8 * 28 <= len(dataset.partner_sales) <= 8 * 30
    invoices = {row["InvoiceNo"] for f in dataset.partner_sales for row in f["rows"]}
    assert 8 * 30 * 30 <= len(invoices) <= 8 * 30 * 50
    assert 0.001 <= len(dataset.duplicate_orders) / len(dataset.orders) <= 0.004
    assert 0.001 <= len(dataset.malformed_orders) / len(dataset.orders) <= 0.004


def test_order_status_mix(full: tuple[RetailDataset, float]) -> None:
    dataset, _ = full
    latest: dict[str, str] = {}
    for order in dataset.orders:
        latest[order["order_id"]] = order["status"]
    shares = Counter(latest.values())
    assert 0.03 <= shares["cancelled"] / len(latest) <= 0.07
    assert 0.015 <= shares["returned"] / len(latest) <= 0.045
    versions_per_order = Counter(o["order_id"] for o in dataset.orders)
    assert set(versions_per_order.values()) <= {1, 2, 3, 4}  # 4 only for a duplicated version


def test_customers_unique_realistic_and_soft_deleted(small: RetailDataset) -> None:
    emails = [c["email"] for c in small.customers]
    phones = [c["phone"] for c in small.customers]
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"[a-z0-9.]+@(mail\.)?example\.(com|org|net)", e) for e in emails)
    assert all(re.fullmatch(r"\+\d{1,2} \d{1,4} \d{6,8}", p) for p in phones)
    assert any(c["is_deleted"] for c in small.customers)
    for customer in small.customers:
        assert customer["_id"] == customer["customer_id"]
        assert customer["loyalty_tier"] in {"bronze", "silver", "gold", "platinum"}
        assert len(customer["address"]["country"]) == 2
        date.fromisoformat(customer["birth_date"])
        for stamp in (customer["created_at"], customer["updated_at"]):
            assert ISO_UTC.match(stamp)
        assert customer["created_at"] <= customer["updated_at"]


def test_every_order_line_references_a_known_product(small: RetailDataset) -> None:
    """Priced from the catalog's EUR price by the storefront's price list, to the cent."""
    factors = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08, "CHF": 0.95}
    products = {p["product_id"]: p for p in small.products}
    checked = 0
    for order in small.orders:
        if not isinstance(order["lines"], list):
            continue  # the deliberately double-encoded lines
        assert 1 <= len(order["lines"]) <= 5
        for line in order["lines"]:
            eur_price = products[line["product_id"]]["unit_price"]
            assert line["unit_price"] == round(eur_price * factors[order["currency"]], 2)
            checked += 1
    assert checked > 0


def test_malformed_versions_are_kept_and_really_broken(small: RetailDataset) -> None:
    assert {m["defect"] for m in small.malformed_orders} == set(ORDER_DEFECTS)
    by_key = {(o["order_id"], o["updated_at"]): o for o in small.orders}
    for malformed in small.malformed_orders:
        order = by_key[(malformed["order_id"], malformed["updated_at"])]
        defect = malformed["defect"]
        if defect == "customer_id_missing":
            assert "customer_id" not in order
        elif defect == "customer_id_null":
            assert order["customer_id"] is None
        elif defect == "quantity_not_numeric":
            assert isinstance(order["lines"][0]["quantity"], str)
        elif defect == "created_at_bad_format":
            assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", order["created_at"])
        else:
            assert not isinstance(order["lines"], list)
    assert small.malformed_order_ids == sorted({m["order_id"] for m in small.malformed_orders})


def test_duplicates_are_exact_copies_delivered_twice(small: RetailDataset) -> None:
    assert small.duplicate_orders
    for duplicate in small.duplicate_orders:
        copies = [
            o
            for o in small.orders
            if o["order_id"] == duplicate["order_id"] and o["updated_at"] == duplicate["updated_at"]
        ]
        assert len(copies) == 2
        assert copies[0] == copies[1]
        assert copies[0] is not copies[1]
    keys = Counter((o["order_id"], o["updated_at"]) for o in small.orders)
    assert sum(count - 1 for count in keys.values()) == len(small.duplicate_orders)


def test_feed_is_ordered_and_inside_the_window(small: RetailDataset) -> None:
    keys = [(o["updated_at"], o["order_id"]) for o in small.orders]
    assert keys == sorted(keys)
    assert all(ISO_UTC.match(o["updated_at"]) for o in small.orders)
    assert small.orders[0]["updated_at"] >= "2025-10-01T00:00:00Z"
    assert small.orders[-1]["updated_at"] < "2026-10-31T00:00:00Z"


def test_orders_updated_between_is_half_open(small: RetailDataset) -> None:
    day_two = datetime(2026, 10, 2, tzinfo=UTC)
    window = small.orders_updated_between(day_two, day_two + timedelta(days=1))
    assert window
    assert all("2026-10-02T" in o["updated_at"] for o in window)
    assert window == [o for o in small.orders if o["updated_at"].startswith("2026-10-02")]
    boundary = datetime.fromisoformat(window[0]["updated_at"])
    assert small.orders_updated_between(boundary, boundary + timedelta(seconds=1))[0] == window[0]
    assert window[0] not in small.orders_updated_between(day_two, boundary)
    naive = small.orders_updated_between(datetime(2026, 10, 2), datetime(2026, 10, 3))
    assert naive == window  # naive datetimes are read as UTC


def test_payments_match_order_totals_and_lifecycle(small: RetailDataset) -> None:
    malformed = set(small.malformed_order_ids)
    first_versions = {o["order_id"]: o for o in small.orders if o["created_at"] == o["updated_at"]}
    statuses: dict[str, set[str]] = {}
    for order in small.orders:
        statuses.setdefault(order["order_id"], set()).add(order["status"])
    by_order: dict[str, list[dict]] = {}
    for payment in small.payments:
        by_order.setdefault(payment["order_id"], []).append(payment)
    ids = [p["payment_id"] for p in small.payments]
    assert len(set(ids)) == len(ids)
    assert {p["status"] for p in small.payments} == {"captured", "failed", "refunded"}
    for order_id, payments in by_order.items():
        assert "cancelled" not in statuses[order_id]
        kinds = [p["status"] for p in payments]
        assert kinds.count("captured") <= 1
        if "failed" in kinds and "captured" in kinds:
            assert kinds.index("failed") < kinds.index("captured")  # the retry follows
        if "refunded" in kinds:
            assert "returned" in statuses[order_id]
        if order_id in first_versions and order_id not in malformed:
            lines = first_versions[order_id]["lines"]
            total = sum(
                round(ln["quantity"] * ln["unit_price"] - ln["discount"], 2) for ln in lines
            )
            assert all(p["amount"] == pytest.approx(total, abs=0.005) for p in payments)


def test_payments_on_a_day(small: RetailDataset) -> None:
    day = date(2026, 10, 5)
    payments = small.payments_on(day)
    assert payments
    assert payments == [p for p in small.payments if p["created_at"].startswith("2026-10-05")]
    assert small.payments_on(date(2025, 1, 1)) == []


def test_reviews_leak_pii_in_about_three_percent(small: RetailDataset) -> None:
    customers = {c["customer_id"]: c for c in small.customers}
    leaking = set()
    for review in small.reviews:
        customer = customers[review["customer_id"]]
        assert 1 <= review["rating"] <= 5
        text = review["text"]
        if customer["email"] in text or customer["phone"] in text or CARD_NUMBER in text:
            leaking.add(review["review_id"])
    assert leaking == set(small.pii_review_ids)
    assert len(leaking) >= 3


def test_s3_objects_render_catalog_partners_and_uci_sales(small: RetailDataset) -> None:
    objects = small.s3_objects()
    catalog_text = gzip.decompress(objects["catalog/products_2025-10-01.csv.gz"]).decode()
    catalog = list(csv.DictReader(io.StringIO(catalog_text)))
    assert [row["product_id"] for row in catalog] == [p["product_id"] for p in small.products]
    assert catalog[0]["unit_price"] == f"{small.products[0]['unit_price']:.2f}"
    assert json.loads(objects["partners/partners.json"]) == small.partners
    sales_keys = [k for k in objects if k.startswith("partner_sales/")]
    assert 8 * 28 <= len(sales_keys) <= 8 * 30
    # Fortnightly statements, staggered: PTN01 closes on day 14, PTN03 on day 8; all on the last.
    assert "partner_sales/PTN03/2025-10-08.csv" in objects
    assert all(f"partner_sales/PTN0{n}/2026-10-30.csv" in objects for n in range(1, 9))
    reader = csv.DictReader(io.StringIO(objects["partner_sales/PTN01/2025-10-14.csv"].decode()))
    assert tuple(reader.fieldnames or ()) == UCI_COLUMNS
    rows = list(reader)
    assert rows
    skus = {p["sku"] for p in small.products}
    for row in rows:
        assert UCI_DATE.match(row["InvoiceDate"])
        assert row["StockCode"] in skus
        assert re.fullmatch(r"\d{5}|", row["CustomerID"])


def test_partner_sales_cancellations_are_negative() -> None:
    rows = [row for f in generate(seed=11, scale=0.2).partner_sales for row in f["rows"]]
    cancelled = [row for row in rows if row["InvoiceNo"].startswith("C")]
    assert cancelled
    assert all(row["Quantity"] < 0 for row in cancelled)
    assert all(row["Quantity"] > 0 for row in rows if not row["InvoiceNo"].startswith("C"))


def test_inventory_snapshots_are_one_parquet_file_a_day(small: RetailDataset) -> None:
    objects = small.s3_objects()
    active = sorted(p["sku"] for p in small.products if p["active"])
    snapshot = pl.read_parquet(io.BytesIO(objects["inventory/stock_2026-10-02.parquet"]))

    # The stock system keeps the last 30 days: 2026-10-01 .. 2026-10-30.
    assert len([key for key in objects if key.startswith("inventory/")]) == 30
    assert "inventory/stock_2026-10-30.parquet" in objects
    assert snapshot.schema == INVENTORY_SCHEMA
    assert snapshot.get_column("snapshot_date").unique().to_list() == [date(2026, 10, 2)]
    assert sorted(snapshot.filter(pl.col("warehouse_id") == "WH-NL1")["sku"]) == active
    assert snapshot.height == 2 * len(active)
    assert (snapshot["reserved"] <= snapshot["on_hand"]).all()
    assert (snapshot["on_hand"] >= snapshot["reorder_point"]).all()  # restocked below it


def test_the_inventory_feed_leaves_every_other_record_as_it_was(small: RetailDataset) -> None:
    """Its draws use a random stream of their own: everything else is byte-identical to the
    dataset generated without it (the digest below was taken when the 13-month window came,
    with the inventory feed removed from the generator)."""
    without_inventory = asdict(small)
    without_inventory.pop("inventory")
    digest = hashlib.sha256(
        json.dumps(without_inventory, default=str, sort_keys=True).encode()
    ).hexdigest()
    assert digest == "e299fd2688b2afe879b957eec8ba0b004a98a134749307cb7c09f5d7bfde9ef8"


def test_order_changes_add_one_version_to_a_fraction_of_the_orders(small: RetailDataset) -> None:
    at = datetime(2026, 10, 31, 6, tzinfo=UTC)

    changed = with_order_changes(small, 0.01, at, timedelta(minutes=5))

    added = changed.orders[len(small.orders) :]
    order_count = len({o["order_id"] for o in small.orders})
    assert len(added) == round(order_count * 0.01)
    assert [o["updated_at"] for o in added[:3]] == [
        "2026-10-31T06:00:00Z",
        "2026-10-31T06:05:00Z",
        "2026-10-31T06:10:00Z",
    ]
    assert changed.orders[: len(small.orders)] == small.orders  # history untouched
    assert len({o["order_id"] for o in added}) == len(added)
    assert changed.orders_updated_between(at, at + timedelta(days=1)) == added
    assert with_order_changes(small, 0.01, at, timedelta(minutes=5)) == changed  # repeatable
