"""Unknown members: rows pointing to a dimension's unknown row, counted per source with sample
natural keys; the check fails only above the configured share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from retail_platform.quality.checks import build_asset_checks
from retail_platform.resources.lake import LakeResource

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
    return lake


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
    key = dg.AssetCheckKey(dg.AssetKey(["gold", "fact_order_lines"]), CHECK.name)

    evaluation = _run(lake, key=key, max_unknown_share=0.5)

    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert evaluation.passed  # 2 of 4 lines (O2 of C9, O3's P9) = 0.5, at the limit
    assert (metadata["rows"], metadata["rows_with_unknown_member"]) == (4, 2)
    assert metadata["by_source"].splitlines()[2:] == [
        "| dim_product | all | 4 | 1 | P9 |",
        "| dim_customer | all | 4 | 1 | C9 |",
    ]
