"""Automation conditions, pools and retries as applied to the platform's asset definitions."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.assets.bronze.s3 import FEEDS, feed_asset
from retail_platform.automation.policies import (
    SOURCE_RETRY_POLICY,
    WAREHOUSE_RETRY_POLICY,
    pool_for,
)
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_io import DeltaLakeIOManager
from retail_platform.resources.s3 import PartnerDropsResource


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.Definitions]:
    from retail_platform.definitions import build_definitions
    from retail_platform.environment import STATE_DIR_VARIABLE, Environment

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_DIR_VARIABLE, str(tmp_path_factory.mktemp("no-stack")))
        yield build_definitions(Environment.LOCAL)


def _assets(definitions: dg.Definitions) -> list[dg.AssetsDefinition]:
    return [a for a in definitions.assets or [] if isinstance(a, dg.AssetsDefinition)]


def _key(path: str) -> dg.AssetKey:
    return dg.AssetKey.from_user_string(path)


def test_silver_gold_and_warehouse_follow_upstreams_and_bronze_is_triggered_elsewhere(
    definitions: dg.Definitions,
) -> None:
    graph = definitions.resolve_asset_graph()
    labels = {
        key.to_user_string(): (
            graph.get(key).automation_condition.get_label()
            if graph.get(key).automation_condition
            else None
        )
        for key in graph.get_all_asset_keys()
    }
    assert {label for key, label in labels.items() if key.startswith("bronze/")} == {None}
    # The rates read an external feed: built when missing and after each ECB publication.
    assert labels.pop("silver/fx_rates") == "when_missing_or_after_the_ecb_publishes"
    following = {key: label for key, label in labels.items() if not key.startswith("bronze/")}
    assert set(following.values()) == {"follow_upstreams"}
    assert {"silver/products", "gold/dim_product", "warehouse/dim_product"} <= set(following)


def test_every_writer_has_a_pool_named_after_the_table_it_writes(
    definitions: dg.Definitions,
) -> None:
    pools = {
        tuple(sorted(k.to_user_string() for k in a.keys)): a.op.pool for a in _assets(definitions)
    }
    assert pools[("bronze/orders",)] == "delta/bronze/orders"
    assert pools[("silver/products", "silver/products_quarantine")] == "delta/silver/products"
    assert pools[("gold/kpi_daily",)] == "delta/gold/kpi_daily"
    assert pools[("warehouse/kpi_daily",)] == "snowflake/kpi_daily"
    assert all(pools.values())
    # The four S3 assets all upsert bronze/s3_manifest: they share its pool; no other two ops
    # share one.
    manifest = {keys for keys, pool in pools.items() if pool == "delta/bronze/s3_manifest"}
    assert manifest == {
        ("bronze/products",),
        ("bronze/partners",),
        ("bronze/partner_sales",),
        ("bronze/inventory",),
    }
    others = [pool for keys, pool in pools.items() if keys not in manifest]
    assert len(set(others)) == len(others)


def test_the_maintenance_op_of_a_table_waits_in_its_writers_pool(
    definitions: dg.Definitions,
) -> None:
    job = definitions.resolve_job_def("lake_maintenance")
    pools = {node.name: node.definition.pool for node in job.graph.nodes}
    assert pools["maintain_silver_products_quarantine"] == "delta/silver/products"
    # Written by an S3 asset: in the pool the four S3 assets share.
    assert pools["maintain_bronze_partner_sales"] == "delta/bronze/s3_manifest"
    assert not any(name.startswith("maintain_warehouse") for name in pools)


def test_source_facing_and_warehouse_assets_retry_with_backoff(
    definitions: dg.Definitions,
) -> None:
    by_key = {k.to_user_string(): a for a in _assets(definitions) for k in a.keys}
    assert by_key["bronze/products"].op.retry_policy == SOURCE_RETRY_POLICY
    # The REST and MongoDB assets get the same source policy (a 4xx is not retried at all).
    assert by_key["bronze/orders"].op.retry_policy == SOURCE_RETRY_POLICY
    assert by_key["bronze/customers"].op.retry_policy == SOURCE_RETRY_POLICY
    assert SOURCE_RETRY_POLICY.backoff == dg.Backoff.EXPONENTIAL
    assert (SOURCE_RETRY_POLICY.max_retries, SOURCE_RETRY_POLICY.delay) == (3, 30)
    assert by_key["warehouse/dim_date"].op.retry_policy == WAREHOUSE_RETRY_POLICY
    assert by_key["gold/dim_date"].op.retry_policy is None  # a rerun cannot fix bad data


def test_an_unreachable_source_is_retried_then_fails_with_the_cause(tmp_path: Path) -> None:
    fast = dg.RetryPolicy(max_retries=2, delay=0.1, backoff=dg.Backoff.EXPONENTIAL)
    retrying = feed_asset(FEEDS["products"], retry_policy=fast)
    lake = LakeResource(root=str(tmp_path))
    unreachable = PartnerDropsResource(
        bucket="drops",
        endpoint_url="http://127.0.0.1:9",  # discard port: connection refused at once
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [retrying],
            instance=instance,
            resources={
                "partner_drops": unreachable,
                "lake": lake,
                "io_manager": DeltaLakeIOManager(lake=lake),
            },
            raise_on_error=False,
        )
    assert not result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 2
    failure = result.get_step_failure_events()[0]
    error = failure.step_failure_data.error
    assert error.message.strip() == "Exceeded max_retries of 2"
    causes = []
    while error is not None:
        causes.append(error.cls_name)
        error = error.cause or error.context
    assert "EndpointConnectionError" in causes
    assert not lake.exists("bronze", "products")


def test_pool_names_follow_the_store() -> None:
    assert pool_for(_key("silver/orders")) == "delta/silver/orders"
    assert pool_for(_key("warehouse/fact_order_lines")) == "snowflake/fact_order_lines"


# --- the conditions, evaluated by Dagster's own evaluator against a real instance -----------


def _requested(result: dg.EvaluateAutomationConditionsResult, graph_keys: set) -> set[str]:
    return {key.to_user_string() for key in graph_keys if result.get_requested_partitions(key)}


def _materialize(instance: dg.DagsterInstance, *paths: str) -> None:
    for path in paths:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=_key(path)))


def _blocking_checks(definitions: dg.Definitions, path: str) -> set[dg.AssetCheckKey]:
    graph = definitions.resolve_asset_graph()
    checks = {
        key for key in graph.get_check_keys_for_assets({_key(path)}) if graph.get(key).blocking
    }
    assert checks, f"{path} has no blocking check"
    return checks


def _requested_checks(result: dg.EvaluateAutomationConditionsResult) -> set[dg.AssetCheckKey]:
    return {
        evaluation.key
        for evaluation in result.results
        if isinstance(evaluation.key, dg.AssetCheckKey) and not evaluation.true_subset.is_empty
    }


def _blocking_checks_report(
    definitions: dg.Definitions, instance: dg.DagsterInstance, path: str, passed: bool = True
) -> None:
    """Every blocking check on the asset reports `passed` (as the asset's run would)."""
    for check_key in _blocking_checks(definitions, path):
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=check_key.asset_key, check_name=check_key.name, passed=passed
            )
        )


def test_a_new_catalog_pulls_silver_gold_and_warehouse_into_one_checked_run(
    definitions: dg.Definitions,
) -> None:
    keys = definitions.resolve_asset_graph().get_all_asset_keys()
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(definitions, instance)
        # Nothing updated yet: only the shipped rates (no upstream) are built, being missing.
        assert _requested(first, keys) == {"silver/fx_rates"}

        _materialize(instance, "silver/fx_rates", "bronze/products")
        second = dg.evaluate_automation_conditions(definitions, instance, cursor=first.cursor)
        # fact_order_lines also depends on dim_product, but silver orders is missing: it waits.
        assert _requested(second, keys) == {
            "silver/products",
            "silver/products_quarantine",
            "gold/dim_product",
            "warehouse/dim_product",
        }
        # With every blocking check of silver and gold in the same run, whichever op holds
        # it: a failing one stops the layers after it inside the run.
        checks = _requested_checks(second)
        assert _blocking_checks(definitions, "silver/products") <= checks
        assert _blocking_checks(definitions, "gold/dim_product") <= checks
        # Only checks of requested assets: the fact's foreign-key check (which also reads
        # dim_product) waits for the fact itself.
        assert {key.asset_key.to_user_string() for key in checks} <= _requested(second, keys)

        for path in ("silver/products", "gold/dim_product"):
            _materialize(instance, path)
            _blocking_checks_report(definitions, instance, path)
        _materialize(instance, "silver/products_quarantine", "warehouse/dim_product")
        third = dg.evaluate_automation_conditions(definitions, instance, cursor=second.cursor)
        assert _requested(third, keys) == set()  # handled: nothing is requested twice


def test_a_failed_blocking_check_upstream_holds_the_downstream_back(
    definitions: dg.Definitions,
) -> None:
    keys = definitions.resolve_asset_graph().get_all_asset_keys()
    with dg.instance_for_test() as instance:
        _materialize(
            instance,
            *(
                "silver/fx_rates",
                "bronze/products",
                "silver/products",
                "silver/products_quarantine",
            ),
        )
        first = dg.evaluate_automation_conditions(definitions, instance)
        _materialize(instance, "silver/products")
        _blocking_checks_report(definitions, instance, "silver/products", passed=False)
        blocked = dg.evaluate_automation_conditions(definitions, instance, cursor=first.cursor)
        assert "gold/dim_product" not in _requested(blocked, keys)

        _blocking_checks_report(definitions, instance, "silver/products")
        released = dg.evaluate_automation_conditions(definitions, instance, cursor=blocked.cursor)
        assert _requested(released, keys) == {"gold/dim_product", "warehouse/dim_product"}


def test_one_new_day_of_orders_updates_silver_although_other_days_are_missing(
    definitions: dg.Definitions,
) -> None:
    keys = definitions.resolve_asset_graph().get_all_asset_keys()
    with dg.instance_for_test() as instance:
        _materialize(instance, "silver/fx_rates")
        first = dg.evaluate_automation_conditions(definitions, instance)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=_key("bronze/orders"), partition="2026-10-05")
        )
        second = dg.evaluate_automation_conditions(definitions, instance, cursor=first.cursor)
        requested = _requested(second, keys)
        # gold waits for silver's blocking checks (the next tick); nothing else moves.
        assert requested == {"silver/orders", "silver/order_lines", "silver/orders_quarantine"}


def test_the_rates_are_built_on_a_fresh_instance_and_only_once() -> None:
    """Every fact waits for silver/fx_rates: the automation must build it when it is missing
    (and again only after the next ECB publication, which no tick here reaches)."""
    from retail_platform.assets.silver.reference import fx_rates
    from retail_platform.local.fx_feed import SNAPSHOT
    from retail_platform.resources.fx import FxRatesFeedResource

    resources = {
        "io_manager": dg.mem_io_manager,
        "fx_feed": FxRatesFeedResource(url=SNAPSHOT.as_uri()),
    }
    # Definitions with the asset's resources: Dagster checks them when it builds the defs.
    defs = dg.Definitions(assets=[fx_rates], resources=resources)
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 1
        dg.materialize([fx_rates], instance=instance, resources=resources)
        later = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert later.total_requested == 0
