"""The S3 files of the synthetic dataset: partner sales statements and warehouse stock.

Partner sales: each partner sends a statement every `STATEMENT_DAYS` days (staggered per
partner, the last one on the window's last day), in the UCI "Online Retail" layout, with its
invoices spread over the days it covers. The total number of invoices at a scale is the same
whatever the window's length. Stock: one snapshot a day for the last `STOCK_DAYS` days.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from retail_platform.local import vocabulary as vocab

Record = dict[str, Any]

WAREHOUSES = ("WH-NL1", "WH-DE1")
STATEMENT_DAYS = 14
STOCK_DAYS = 30  # the stock system keeps a month of daily snapshots
# 40 invoices a partner a day over 30 days, at scale 1: the volume before the window grew.
INVOICES_PER_PARTNER_AT_SCALE_1 = 40 * 30


def inventory(
    rng: random.Random, products: list[Record], start_date: date, days: int
) -> list[Record]:
    """One stock snapshot per day: every active sku in every warehouse, sold down and restocked."""
    reorder = {(w, p["sku"]): rng.choice((10, 20, 40)) for w in WAREHOUSES for p in products}
    on_hand = {key: rng.randint(point, point * 6) for key, point in reorder.items()}
    stock_days = min(days, STOCK_DAYS)
    first = start_date + timedelta(days=days - stock_days)
    snapshots = []
    for day_index in range(stock_days):
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
        day = first + timedelta(days=day_index)
        snapshots.append({"snapshot_date": day.isoformat(), "rows": rows})
    return snapshots


def statement_periods(partner_index: int, start_date: date, days: int) -> list[list[date]]:
    """The days each statement of a partner covers, in order; the last ends on the last day."""
    periods: list[list[date]] = [[]]
    for day_index in range(days):
        periods[-1].append(start_date + timedelta(days=day_index))
        closes = (day_index + partner_index * 3) % STATEMENT_DAYS == STATEMENT_DAYS - 1
        if closes and day_index < days - 1:
            periods.append([])
    return periods


def partner_sales(
    rng: random.Random,
    scale: float,
    partners: list[Record],
    products: list[Record],
    start_date: date,
    days: int,
) -> list[Record]:
    """One UCI "Online Retail" style file per partner per statement period."""
    invoice_number = 536365  # where the UCI data set starts
    files = []
    for partner_index, partner in enumerate(partners):
        price_factor = rng.uniform(0.85, 1.0)  # partners buy at wholesale prices
        home_country = vocab.UCI_COUNTRY_NAMES[partner["country"]]
        for period in statement_periods(partner_index, start_date, days):
            share = len(period) / days
            expected = INVOICES_PER_PARTNER_AT_SCALE_1 * scale * share
            invoice_count = max(1, round(expected * rng.uniform(0.75, 1.25)))
            stamps = sorted(
                (rng.choice(period), rng.randint(8 * 60, 20 * 60 - 1)) for _ in range(invoice_count)
            )
            rows: list[Record] = []
            for day, minute in stamps:
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
                {
                    "partner_id": partner["partner_id"],
                    "sales_date": period[-1].isoformat(),
                    "rows": rows,
                }
            )
    return files
