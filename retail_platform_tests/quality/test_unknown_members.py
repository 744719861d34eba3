"""Unknown members: rows pointing to a dimension's unknown row, counted on the published fact,
broken down per source with sample natural keys from silver; the check fails only above the
configured share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from retail_platform.contracts import gold
from retail_platform.quality.checks import build_asset_checks
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.tables import table

FACT = dg.AssetKey(["gold", "fact_partner_sales"])
CHECK = dg.AssetCheckKey(FACT, "unknown_members_within_share")


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    # 10 lines: P1 sells 6 with one unknown sku (X9); P2 (not in the directory) sells 4, one
    # of them also an unknown sku (X7). Rows with an unknown member: P1/X9 + all 4 of P2 = 5.
    sales = [("P1", "S1")] * 5 + [("P1", "X9"), ("P2", "S2"), ("P2", "S1"), ("P2", "S2")]
    sales += [("P2", "X7")]
    lake.replace_table(
        "silver",
        "partner_sales",
        pl.DataFrame(sales, schema=["partner_id", "stock_code"], orient="row"),
    )
    lake.replace_table("silver", "products", pl.DataFrame({"sku": ["S1", "S2"]}))
    lake.replace_table("silver", "partners", pl.DataFrame({"partner_id": ["P1"]}))
    # The fact of those lines: P1 is partner 1, S1/S2 products 11/12, -1 the unknown member.
    partner_keys = [1] * 6 + [-1] * 4
    product_keys = [11] * 5 + [-1, 12, 11, 12, -1]
    lake.replace_table("gold", "fact_partner_sales", _fact(partner_keys, product_keys))
    return lake


def _fact(partner_keys: list[int], product_keys: list[int]) -> pl.DataFrame:
    return table(
        gold.FACT_PARTNER_SALES,
        partner_sale_key=list(range(1, len(partner_keys) + 1)),
        partner_key=partner_keys,
        product_key=product_keys,
    )


def _run(
    lake: LakeResource, key: dg.AssetCheckKey = CHECK, **config: Any
) -> dg.AssetCheckEvaluation:
    (check,) = [c for c in build_asset_checks() if key in c.check_keys]
    upstream = {*(key.asset_key for key in check.check_keys), *check.keys_by_input_name.values()}
    definitions = dg.Definitions(
        assets=[dg.AssetSpec(key) for key in upstream],
        asset_checks=[check],
        resources={"lake": lake},
        jobs=[dg.define_asset_job("only", selection=dg.AssetSelection.checks(check))],
    )
    run_config = {"ops": {check.node_def.name: {"config": config}}} if config else None
    result = definitions.resolve_job_def("only").execute_in_process(
        run_config=run_config, raise_on_error=False
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_unknown_members_are_counted_per_source_with_samples_and_fail_only_above_the_share(
    lake: LakeResource,
) -> None:
    relaxed = _run(lake, max_unknown_share=0.5)  # 5 of 10 = 0.5: at the limit, passes
    strict = _run(lake)  # the default 5 %

    metadata = {key: value.value for key, value in relaxed.metadata.items()}
    assert relaxed.passed and not strict.passed
    assert strict.severity == dg.AssetCheckSeverity.ERROR
    assert (metadata["rows"], metadata["rows_with_unknown_member"]) == (10, 5)
    assert metadata["unknown_share"] == 0.5
    assert metadata["by_source"].splitlines()[2:] == [
        "| dim_product | P1 | 6 | 1 | X9 |",
        "| dim_product | P2 | 4 | 1 | X7 |",
        "| dim_partner | P2 | 4 | 4 | P2 |",
    ]


def test_the_check_is_declared_blocking_on_both_facts() -> None:
    specs = {
        key: spec
        for check in build_asset_checks()
        for key, spec in zip(check.check_keys, check.check_specs, strict=True)
        if key.name == "unknown_members_within_share"
    }

    order_lines = specs[dg.AssetCheckKey(dg.AssetKey(["gold", "fact_order_lines"]), CHECK.name)]
    assert "customer_id not in gold/dim_customer.customer_id" in order_lines.description
    assert set(specs) == {
        CHECK,
        dg.AssetCheckKey(dg.AssetKey(["gold", "fact_order_lines"]), CHECK.name),
    }
    assert all(spec.blocking for spec in specs.values())


def test_order_lines_count_unknown_products_and_customers_of_their_orders(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lines = [("O1", "P1"), ("O1", "P2"), ("O2", "P1"), ("O3", "P9")]
    lake.replace_table(
        "silver",
        "order_lines",
        pl.DataFrame(lines, schema=["order_id", "product_id"], orient="row"),
    )
    lake.replace_table(
        "silver",
        "orders",
        pl.DataFrame({"order_id": ["O1", "O2", "O3"], "customer_id": ["C1", "C9", "C1"]}),
    )
    lake.replace_table("silver", "products", pl.DataFrame({"product_id": ["P1", "P2"]}))
    # the unknown member's own row does not make '<unknown>' a known customer
    lake.replace_table(
        "gold",
        "dim_customer",
        pl.DataFrame({"customer_key": [7, -1], "customer_id": ["C1", "<unknown>"]}),
    )
    # The fact of those lines: O2's customer (C9) and O3's product (P9) are unknown (-1).
    facts = table(
        gold.FACT_ORDER_LINES,
        order_line_key=[1, 2, 3, 4],
        product_key=[21, 22, 21, -1],
        customer_key=[7, 7, -1, 7],
    )
    lake.replace_table("gold", "fact_order_lines", facts)
    key = dg.AssetCheckKey(dg.AssetKey(["gold", "fact_order_lines"]), CHECK.name)

    evaluation = _run(lake, key=key, max_unknown_share=0.5)

    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert evaluation.passed  # 2 of 4 lines (O2 of C9, O3's P9) = 0.5, at the limit
    assert (metadata["rows"], metadata["rows_with_unknown_member"]) == (4, 2)
    assert metadata["by_source"].splitlines()[2:] == [
        "| dim_product | all | 4 | 1 | P9 |",
        "| dim_customer | all | 4 | 1 | C9 |",
    ]


def test_a_fact_without_unknown_members_passes_without_reading_silver(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))  # no silver table at all
    lake.replace_table("gold", "fact_partner_sales", _fact([1, 2, 2], [11, 11, 12]))

    evaluation = _run(lake)

    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert evaluation.passed
    assert (metadata["rows"], metadata["rows_with_unknown_member"]) == (3, 0)
    assert metadata["by_source"] == "none"


def test_the_share_is_counted_on_the_published_fact(tmp_path: Path) -> None:
    # Silver would say every partner is known; the published fact points 2 of its 3 rows to
    # the unknown partner: that is what readers of the fact see.
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table(
        "silver",
        "partner_sales",
        pl.DataFrame({"partner_id": ["P1"] * 3, "stock_code": ["S1"] * 3}),
    )
    lake.replace_table("silver", "products", pl.DataFrame({"sku": ["S1"]}))
    lake.replace_table("silver", "partners", pl.DataFrame({"partner_id": ["P1"]}))
    lake.replace_table("gold", "fact_partner_sales", _fact([1, -1, -1], [11, 11, 11]))

    evaluation = _run(lake)

    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert not evaluation.passed
    assert (metadata["rows"], metadata["rows_with_unknown_member"]) == (3, 2)
