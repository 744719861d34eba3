"""The governance asset, materialized locally: it renders its SQL and says so in its log."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import pytest
import sqlglot

from retail_platform.assets.warehouse.governance import governance
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.governance.plan import governance_plan
from retail_platform.resources.warehouse import SnowflakeGovernance, SnowflakeWarehouse
from retail_platform_tests.conftest import PipelineRun

RENDERED = Path("governance") / "retail_gold_governance.sql"


def test_the_asset_renders_when_the_resource_cannot_apply(tmp_path: Path) -> None:
    path = tmp_path / "gold.sql"
    resource = SnowflakeGovernance(
        warehouse=SnowflakeWarehouse(account="unused", user="unused"),
        apply=False,
        render_path=str(path),
    )

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [governance], resources={"warehouse_governance": resource}, instance=instance
        )
        logs = [record.user_message for record in instance.all_logs(result.run_id)]

    assert result.success
    [materialization] = result.asset_materializations_for_node("warehouse__governance")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    plan = governance_plan(GOLD_TABLES, resource.config())
    assert metadata["mode"] == "rendered" and metadata["applied"] == 0
    assert metadata["statements"] == len(plan.statements)
    assert metadata["masked_columns"] == plan.count("masking") >= 2
    assert metadata["rendered_sql"] == str(path)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    assert len(sqlglot.parse(path.read_text(), read="snowflake")) == len(plan.statements)
    assert any(
        message.startswith(f"Rendered {len(plan.statements)} governance statements to {path}")
        and "cannot run CREATE ROLE, GRANT or masking policies" in message
        for message in logs
    ), logs


@pytest.mark.integration
def test_the_pipeline_renders_governance_and_logs_why(pipeline_run: PipelineRun) -> None:
    key = dg.AssetKey(["warehouse", "governance"])
    event = pipeline_run.instance.get_latest_materialization_event(key)
    assert event is not None and event.asset_materialization is not None
    metadata = {name: v.value for name, v in event.asset_materialization.metadata.items()}
    path = pipeline_run.state_dir / RENDERED

    assert metadata["mode"] == "rendered" and Path(str(metadata["rendered_sql"])) == path
    text = path.read_text()
    assert (
        'GRANT SELECT ON TABLE "RETAIL"."GOLD"."FACT_ORDER_LINES" TO ROLE "RETAIL_BI_READER"'
        in (text)
    )
    assert 'MODIFY COLUMN "EMAIL_TOKEN" SET MASKING POLICY' in text
    logs = [
        record.user_message
        for record in pipeline_run.instance.all_logs(event.run_id)
        if record.step_key == "warehouse__governance"
    ]
    assert any(
        message.startswith(f"Rendered {metadata['statements']} governance statements to {path}")
        and "cannot run CREATE ROLE, GRANT or masking policies" in message
        for message in logs
    ), logs
