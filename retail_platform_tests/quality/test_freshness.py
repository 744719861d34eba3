"""Freshness SLAs on gold and warehouse: time-window freshness policies on the built assets."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    from retail_platform.definitions import build_definitions
    from retail_platform.environment import STATE_DIR_VARIABLE, Environment

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_DIR_VARIABLE, str(tmp_path_factory.mktemp("no-stack")))
        graph = build_definitions(Environment.LOCAL).resolve_asset_graph()
    yield {
        key.to_user_string(): graph.get(key).freshness_policy for key in graph.get_all_asset_keys()
    }


def test_every_gold_table_must_be_at_most_26_hours_old(policies: dict[str, object]) -> None:
    gold = {key: policy for key, policy in policies.items() if key.startswith("gold/")}
    assert "gold/kpi_daily" in gold
    assert set(gold.values()) == {dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26))}


def test_every_warehouse_asset_must_be_at_most_27_hours_old(policies: dict[str, object]) -> None:
    warehouse = {key: p for key, p in policies.items() if key.startswith("warehouse/")}
    assert {"warehouse/kpi_daily", "warehouse/governance"} <= set(warehouse)
    assert set(warehouse.values()) == {
        dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=27))
    }


def test_bronze_and_silver_have_no_sla(policies: dict[str, object]) -> None:
    assert {
        key for key, policy in policies.items() if key.split("/")[0] in ("bronze", "silver")
    } == {key for key, policy in policies.items() if policy is None}
