"""Column lineage declared in the gold contracts points at real, upstream columns."""

from __future__ import annotations

import dagster as dg
import pytest

from retail_platform.assets.gold import star
from retail_platform.assets.silver import SILVER_MODULES
from retail_platform.contracts import gold, silver
from retail_platform.contracts.model import TableContract, parse_column_reference


def _key(reference: str) -> tuple[dg.AssetKey, str]:
    layer, table, column = parse_column_reference(reference)
    return dg.AssetKey([layer, table]), column


CONTRACTS: dict[dg.AssetKey, TableContract] = {
    **{dg.AssetKey(["gold", c.name]): c for c in gold.GOLD_TABLES},
    **{
        dg.AssetKey(["silver", c.name]): c
        for c in (silver.ORDERS, silver.ORDER_LINES, silver.PAYMENTS, silver.CUSTOMERS,
                  silver.PRODUCTS, silver.PARTNERS, silver.PARTNER_SALES, silver.FX_RATES)
    },
}  # fmt: skip


Parents = dict[dg.AssetKey, set[dg.AssetKey]]


@pytest.fixture(scope="module")
def parents() -> Parents:
    modules = [*SILVER_MODULES, star]
    return {
        spec.key: {dep.asset_key for dep in spec.deps}
        for assets_def in dg.load_assets_from_modules(modules)
        for spec in assets_def.specs
    }


def ancestors(parents: Parents, key: dg.AssetKey) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    todo = [key]
    while todo:
        for parent in parents.get(todo.pop(), set()):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


@pytest.mark.parametrize("contract", gold.GOLD_TABLES, ids=lambda c: c.name)
def test_every_lineage_reference_is_an_upstream_column(
    parents: Parents, contract: TableContract
) -> None:
    upstream = ancestors(parents, dg.AssetKey(["gold", contract.name]))
    for column in contract.columns:
        for ref in column.lineage:
            asset_key, name = _key(ref)
            assert asset_key in upstream, f"{contract.name}.{column.name}: {ref}"
            assert name in CONTRACTS[asset_key].column_names, f"{contract.name}: {ref}"


def test_every_kpi_measure_traces_back_to_silver_columns() -> None:
    """Following the lineage from each KPI down reaches the silver columns that feed it."""

    def silver_sources(reference: str) -> set[str]:
        asset_key, name = _key(reference)
        if asset_key.path[0] == "silver":
            return {reference}
        column = CONTRACTS[asset_key].column(name)
        return set().union(*(silver_sources(upstream) for upstream in column.lineage))

    revenue = gold.KPI_DAILY.column("revenue")
    refund_rate = gold.KPI_DAILY.column("refund_rate")

    assert set().union(*map(silver_sources, revenue.lineage)) == {
        "silver/order_lines.line_amount",
        "silver/order_lines.status",
        "silver/fx_rates.rate_to_reporting",
    }
    assert set().union(*map(silver_sources, refund_rate.lineage)) == {"silver/payments.status"}


def test_a_malformed_reference_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not '<layer>/<table>\.<column>'"):
        parse_column_reference("order_lines.line_amount")


def test_a_reference_splits_into_layer_table_and_column() -> None:
    assert parse_column_reference("silver/order_lines.line_amount") == (
        "silver",
        "order_lines",
        "line_amount",
    )
