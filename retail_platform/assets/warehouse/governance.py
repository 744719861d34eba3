"""Governance of RETAIL.GOLD as code: masking policies, roles, grants, foreign keys, comments.

Runs after every warehouse table is loaded (a recreated table loses its grants and masking
policies, so they are re-applied each time). Where the resource cannot run the statements
(the local fakesnow server), it renders them to a SQL file and says so in the log.
"""

import dagster as dg

from retail_platform.automation.policies import (
    WAREHOUSE_RETRY_POLICY,
    follow_upstreams_condition,
    pool_for,
)
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.governance.model import BI_READER_ROLE, PII_ADMIN_ROLE
from retail_platform.governance.plan import governance_plan
from retail_platform.quality.freshness import WAREHOUSE_FRESHNESS
from retail_platform.resources.warehouse import SnowflakeGovernance

STATEMENT_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("kind", "string", "role, grant, schema, masking_policy, masking, ..."),
        dg.TableColumn("purpose", "string", "What the statement achieves, in one line."),
        dg.TableColumn("sql", "string", "The Snowflake SQL statement, idempotent."),
        dg.TableColumn("skip_if", "string", "Probe: the statement is skipped when it finds a row."),
    ]
)


@dg.asset(
    key=["warehouse", "governance"],
    group_name="warehouse",
    kinds={"snowflake"},
    description=(
        "Access control for the gold schema as code: masking policies on every PII column "
        f"(values visible to {PII_ADMIN_ROLE} only), the {BI_READER_ROLE} role with SELECT on "
        "the gold tables, declared foreign keys and comments. Idempotent statements, applied "
        "on Snowflake; rendered to a SQL file where the server cannot run them."
    ),
    metadata={"dagster/column_schema": STATEMENT_SCHEMA},
    tags={"pii": "none"},
    deps=[dg.AssetKey(["warehouse", contract.name]) for contract in GOLD_TABLES],
    pool=pool_for(dg.AssetKey(["warehouse", "governance"])),
    retry_policy=WAREHOUSE_RETRY_POLICY,  # idempotent statements: a retry is safe
    automation_condition=follow_upstreams_condition(),
    freshness_policy=WAREHOUSE_FRESHNESS,
)
def governance(
    context: dg.AssetExecutionContext, warehouse_governance: SnowflakeGovernance
) -> dg.MaterializeResult:
    config = warehouse_governance.config()
    plan = governance_plan(GOLD_TABLES, config)
    for problem in plan.problems:
        context.log.warning(f"not declared: {problem}")
    header = [
        f"Governance of {config.database}.{config.schema}, generated from the gold contracts "
        "by the warehouse/governance asset.",
        "Every statement is idempotent: run the whole file again at any time.",
    ]
    outcome = warehouse_governance.enforce(plan.statements, header)
    if outcome.rendered_to is not None:
        context.log.warning(
            f"Rendered {len(plan.statements)} governance statements to {outcome.rendered_to} "
            "without running them: this warehouse (the local fakesnow server) cannot run CREATE "
            "ROLE, GRANT or masking policies, and would enforce the foreign keys Snowflake only "
            "declares. They run on Snowflake with RETAIL_PLATFORM_ENV=prod."
        )
    else:
        context.log.info(
            f"Applied {outcome.applied} governance statements ({outcome.skipped} already in place)"
        )
    metadata: dict[str, object] = {
        "statements": len(plan.statements),
        "applied": outcome.applied,
        "skipped_already_in_place": outcome.skipped,
        "masked_columns": plan.count("masking"),
        "grants": plan.count("grant"),
        "foreign_keys": plan.count("constraint"),
        "problems": len(plan.problems),
        "mode": "rendered" if outcome.rendered_to is not None else "applied",
        "duration_s": round(outcome.duration_s, 3),
        "query_ids": ", ".join(outcome.query_ids),
    }
    if outcome.rendered_to is not None:
        metadata["rendered_sql"] = dg.MetadataValue.path(str(outcome.rendered_to))
    return dg.MaterializeResult(metadata=metadata)
