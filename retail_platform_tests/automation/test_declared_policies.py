"""Every asset and check of the built code location has the pool, retry policy and automation
condition of the table in docs/operations.md ("How each asset runs"), written out here by hand."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pytest

# The two retry policies of the docs' table, one per kind of failure.
SOURCE = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
SNOWFLAKE = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
FOLLOW = "follow_upstreams"
ECB = "when_missing_or_after_the_ecb_publishes"
WITH_ASSET = "with_its_asset"
GOLD_SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26))
WAREHOUSE_SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=27))
MANIFEST = "delta/bronze/s3_manifest"
GOLD_TABLES = (
    "dim_date",
    "dim_customer",
    "dim_product",
    "dim_partner",
    "fact_order_lines",
    "fact_payments",
    "fact_partner_sales",
    "fact_customer_retention",
    "kpi_daily",
)

# asset -> (pool, retry policy, automation condition label, freshness policy)
ASSETS: dict[str, tuple[str, dg.RetryPolicy | None, str | None, object]] = {
    "bronze/orders": ("delta/bronze/orders", SOURCE, None, None),
    "bronze/payments": ("delta/bronze/payments", SOURCE, None, None),
    "bronze/customers": ("delta/bronze/customers", SOURCE, None, None),
    "bronze/reviews": ("delta/bronze/reviews", SOURCE, None, None),
    "bronze/products": (MANIFEST, SOURCE, None, None),
    "bronze/partners": (MANIFEST, SOURCE, None, None),
    "bronze/partner_sales": (MANIFEST, SOURCE, None, None),
    "bronze/inventory": (MANIFEST, SOURCE, None, None),
    "silver/orders": ("delta/silver/orders", None, FOLLOW, None),
    "silver/order_lines": ("delta/silver/orders", None, FOLLOW, None),
    "silver/orders_quarantine": ("delta/silver/orders", None, FOLLOW, None),
    "silver/payments": ("delta/silver/payments", None, FOLLOW, None),
    "silver/payments_quarantine": ("delta/silver/payments", None, FOLLOW, None),
    "silver/customers": ("delta/silver/customers", None, FOLLOW, None),
    "silver/customers_quarantine": ("delta/silver/customers", None, FOLLOW, None),
    "silver/reviews": ("delta/silver/reviews", None, FOLLOW, None),
    "silver/reviews_quarantine": ("delta/silver/reviews", None, FOLLOW, None),
    "silver/products": ("delta/silver/products", None, FOLLOW, None),
    "silver/products_quarantine": ("delta/silver/products", None, FOLLOW, None),
    "silver/partners": ("delta/silver/partners", None, FOLLOW, None),
    "silver/partners_quarantine": ("delta/silver/partners", None, FOLLOW, None),
    "silver/partner_sales": ("delta/silver/partner_sales", None, FOLLOW, None),
    "silver/partner_sales_quarantine": ("delta/silver/partner_sales", None, FOLLOW, None),
    "silver/inventory": ("delta/silver/inventory", None, FOLLOW, None),
    "silver/inventory_quarantine": ("delta/silver/inventory", None, FOLLOW, None),
    "silver/fx_rates": ("delta/silver/fx_rates", None, ECB, None),
    **{f"gold/{table}": (f"delta/gold/{table}", None, FOLLOW, GOLD_SLA) for table in GOLD_TABLES},
    **{
        f"warehouse/{table}": (f"snowflake/{table}", SNOWFLAKE, FOLLOW, WAREHOUSE_SLA)
        for table in (*GOLD_TABLES, "governance")
    },
}

# Checks computed inside a silver asset's op run in its pool; every other check only reads
# and runs in no pool. No check retries; every one runs with its asset.
SILVER_ENTITIES = {
    "orders": "orders",
    "payments": "payments",
    "customers": "customers",
    "reviews": "reviews",
    "products": "products",
    "partners": "partners",
    "partner_sales": "partner_sales",
    "inventory": "inventory",
}
IN_ASSET_CHECKS = {
    **{
        f"silver/{table}:rows_accounted_for": f"delta/silver/{entity}"
        for table, entity in SILVER_ENTITIES.items()
    },
    **{
        f"silver/{table}_quarantine:quarantine_within_limits": f"delta/silver/{entity}"
        for table, entity in SILVER_ENTITIES.items()
    },
}


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.Definitions]:
    from retail_platform.definitions import build_definitions
    from retail_platform.environment import STATE_DIR_VARIABLE, Environment

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_DIR_VARIABLE, str(tmp_path_factory.mktemp("no-stack")))
        yield build_definitions(Environment.LOCAL)


def _label(condition: dg.AutomationCondition | None) -> str | None:
    return condition.get_label() if condition is not None else None


def test_every_asset_has_the_documented_pool_retry_condition_and_sla(
    definitions: dg.Definitions,
) -> None:
    graph = definitions.resolve_asset_graph()
    built = {}
    for key in graph.get_all_asset_keys():
        op = graph.assets_def_for_key(key).op
        node = graph.get(key)
        built[key.to_user_string()] = (
            op.pool,
            op.retry_policy,
            _label(node.automation_condition),
            node.freshness_policy,
        )
    assert built == ASSETS


def test_every_check_has_the_documented_pool_retry_and_condition(
    definitions: dg.Definitions,
) -> None:
    graph = definitions.resolve_asset_graph()
    built = {}
    for key in graph.asset_check_keys:
        op = graph.assets_def_for_key(key).op
        built[f"{key.asset_key.to_user_string()}:{key.name}"] = (
            op.pool,
            op.retry_policy,
            _label(graph.get(key).automation_condition),
        )
    assert {name: pool for name, (pool, _, _) in built.items() if pool} == IN_ASSET_CHECKS
    assert {(retry, label) for _, retry, label in built.values()} == {(None, WITH_ASSET)}
    # Checks are on silver and gold (bronze is validated by silver; the warehouse copies have
    # their freshness policy and the loader's own verification).
    assert {name.split("/")[0] for name in built} == {"silver", "gold"}
