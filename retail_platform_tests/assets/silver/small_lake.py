"""A small, consistent bronze layer in a temporary lake, and a runner for silver/gold assets.

The rows are written the way the bronze assets write them (contract columns, text payload), so
the real silver and gold assets and checks run on them through Dagster, in process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import polars as pl

from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.local.fx_feed import SNAPSHOT as FX_SNAPSHOT
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.fx import FxRatesFeedResource
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource

SECRET = "test-secret"
INGESTED_AT = datetime(2026, 10, 3, 6, 0, tzinfo=UTC)
RAW_EMAILS = ("ada.lovelace@example.com", "alan.turing@example.org")
RAW_PHONES = ("+44 20 7946 0958", "+44 161 496 0000")


def line(number: int, product: str, quantity: int, price: str, discount: str = "0") -> dict:
    return {
        "line_number": number,
        "product_id": product,
        "quantity": quantity,
        "unit_price": float(price),
        "discount": float(discount),
    }


def order(
    order_id: str, customer: str, status: str, created: str, updated: str, lines: list
) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "status": status,
        "currency": "EUR",
        "channel": "web",
        "created_at": created,
        "updated_at": updated,
        "lines": json.dumps(lines),
        "_partition_date": date.fromisoformat(updated[:10]),
    }


ORDERS = [
    order("O1", "C1", "paid", "2026-10-01T10:00:00Z", "2026-10-01T10:00:00Z",
          [line(1, "P1", 2, "10.00", "1.00"), line(2, "P2", 1, "5.00")]),
    order("O2", "C2", "placed", "2026-10-01T11:00:00Z", "2026-10-01T11:00:00Z",
          [line(1, "P1", 1, "10.00")]),
    # O1 ships the next day; O2 is cancelled; O3 is a new order that gets returned.
    order("O1", "C1", "shipped", "2026-10-01T10:00:00Z", "2026-10-02T09:00:00Z",
          [line(1, "P1", 2, "10.00", "1.00"), line(2, "P2", 1, "5.00")]),
    order("O2", "C2", "cancelled", "2026-10-01T11:00:00Z", "2026-10-02T12:00:00Z",
          [line(1, "P1", 1, "10.00")]),
    order("O3", "C2", "returned", "2026-10-02T08:00:00Z", "2026-10-03T08:00:00Z",
          [line(1, "P2", 3, "5.00")]),
    # A malformed version: quarantined, never in silver.
    order("O4", "C1", "paid", "02/10/2026", "2026-10-03T09:00:00Z", [line(1, "P1", 1, "10.00")]),
]  # fmt: skip
PAYMENTS = [
    {"payment_id": "PAY1", "order_id": "O1", "amount": "24.00", "currency": "EUR",
     "method": "card", "status": "captured", "created_at": "2026-10-01T10:01:00Z"},
    {"payment_id": "PAY2", "order_id": "O3", "amount": "15.00", "currency": "EUR",
     "method": "card", "status": "captured", "created_at": "2026-10-02T08:01:00Z"},
    {"payment_id": "PAY3", "order_id": "O3", "amount": "15.00", "currency": "EUR",
     "method": "card", "status": "refunded", "created_at": "2026-10-03T08:30:00Z"},
]  # fmt: skip
CUSTOMERS = [
    {"customer_id": "C1", "first_name": "Ada", "last_name": "Lovelace", "email": RAW_EMAILS[0],
     "phone": RAW_PHONES[0], "birth_date": "1985-12-10", "address_street": "12 Baker Street",
     "address_city": "London", "address_postcode": "NW1 6XE", "address_country": "GB",
     "consent_marketing": "true", "loyalty_tier": "gold", "created_at": "2025-01-01T09:00:00Z",
     "updated_at": "2025-06-01T09:00:00Z", "is_deleted": "false"},
    {"customer_id": "C2", "first_name": "Alan", "last_name": "Turing", "email": RAW_EMAILS[1],
     "phone": RAW_PHONES[1], "birth_date": "1990-06-23", "address_street": "7 Oxford Road",
     "address_city": "Manchester", "address_postcode": "M1 1AE", "address_country": "GB",
     "consent_marketing": "false", "loyalty_tier": "bronze",
     "created_at": "2025-02-01T09:00:00Z", "updated_at": "2025-02-01T09:00:00Z"},
]  # fmt: skip
PRODUCTS = [
    {"product_id": "P1", "sku": "SKU-1", "name": "Mug", "category": "home", "brand": "Acme",
     "unit_price": "10.00", "currency": "EUR", "active": "true",
     "updated_at": "2026-09-01T00:00:00Z"},
    {"product_id": "P2", "sku": "SKU-2", "name": "Cup", "category": "home", "brand": "Acme",
     "unit_price": "5.00", "currency": "EUR", "active": "true",
     "updated_at": "2026-09-01T00:00:00Z"},
]  # fmt: skip
PARTNERS = [
    {"partner_id": "PTN01", "name": "Harbour & Pine Ltd", "country": "GB",
     "commission_rate": "0.12", "contact_email": "partners@harbour.example.com",
     "onboarded_at": "2024-03-01"},
]  # fmt: skip
PARTNER_SALES = [
    {"partner_id": "PTN01", "invoice_no": "536365", "stock_code": "SKU-1", "description": "MUG",
     "quantity": "6", "invoice_date": "10/1/2026 8:26", "unit_price": "9.00",
     "partner_customer_id": "17850", "country": "United Kingdom"},
    {"partner_id": "PTN01", "invoice_no": "C536366", "stock_code": "SKU-2", "description": "CUP",
     "quantity": "-2", "invoice_date": "10/2/2026 9:00", "unit_price": "4.50",
     "partner_customer_id": "", "country": "United Kingdom"},
]  # fmt: skip
REVIEWS = [
    {"review_id": "R1", "customer_id": "C1", "product_id": "P1", "rating": "5",
     "text": f"Lovely. Write to {RAW_EMAILS[0]} or call {RAW_PHONES[0]}.",
     "created_at": "2026-10-02T10:00:00Z", "updated_at": "2026-10-02T10:00:00Z"},
]  # fmt: skip
INVENTORY = [
    {"snapshot_date": "2026-10-01", "warehouse_id": "WH-NL1", "sku": "SKU-1", "on_hand": "40",
     "reserved": "5", "reorder_point": "20"},
]  # fmt: skip
BRONZE = {
    "orders": (bronze.ORDERS, ORDERS),
    "payments": (bronze.PAYMENTS, PAYMENTS),
    "customers": (bronze.CUSTOMERS, CUSTOMERS),
    "products": (bronze.PRODUCTS, PRODUCTS),
    "partners": (bronze.PARTNERS, PARTNERS),
    "partner_sales": (bronze.PARTNER_SALES, PARTNER_SALES),
    "reviews": (bronze.REVIEWS, REVIEWS),
    "inventory": (bronze.INVENTORY, INVENTORY),
}


def bronze_table(contract: TableContract, rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    defaults: dict[str, Any] = {
        "_source": "test",
        "_batch_id": "run-1",
        "_ingested_at": INGESTED_AT,
        "_source_key": "test",
        "_error": None,
        "_raw": None,
    }
    names = contract.column_names
    if "_partition_date" in names:
        defaults["_partition_date"] = date(2026, 10, 1)
    filled = [{name: row.get(name, defaults.get(name)) for name in names} for row in rows]
    return pl.DataFrame(filled, schema=contract.polars_schema)


def write_bronze(lake: LakeResource, **overrides: list[dict[str, Any]]) -> None:
    """Every bronze table of the small data set; ``overrides`` replace a table's rows."""
    for table, (contract, rows) in BRONZE.items():
        lake.replace_table("bronze", table, bronze_table(contract, overrides.get(table, rows)))


def report_bronze_days(instance: dg.DagsterInstance, days: Sequence[str]) -> None:
    """What the dated bronze assets record when their daily partitions are materialized."""
    for table in ("orders", "payments"):
        for day in days:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=["bronze", table], partition=day)
            )


def resources(lake: LakeResource, secret: str = SECRET) -> dict[str, Any]:
    return {
        "lake": lake,
        "io_manager": AuditedDeltaIOManager(lake=lake),
        "pii_masking": PiiMaskingResource(hmac_secret=secret),
        # The shipped ECB snapshot, read as a file: silver fx_rates needs no server here.
        "fx_feed": FxRatesFeedResource(url=FX_SNAPSHOT.as_uri()),
    }


def run_assets(
    definitions_assets: Sequence[Any],
    checks: Sequence[dg.AssetChecksDefinition],
    lake: LakeResource,
    instance: dg.DagsterInstance,
    selection: dg.AssetSelection,
) -> dg.ExecuteInProcessResult:
    definitions = dg.Definitions(
        assets=list(definitions_assets),
        asset_checks=list(checks),
        resources=resources(lake),
        jobs=[dg.define_asset_job("under_test", selection=selection)],
    )
    return definitions.resolve_job_def("under_test").execute_in_process(
        instance=instance, raise_on_error=False
    )
