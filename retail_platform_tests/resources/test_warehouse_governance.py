"""SnowflakeGovernance: rendering where statements cannot run, applying (with probes) where
they can, here against the fakesnow server with statements it supports."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.governance.model import GovernanceConfig, Probe, Statement
from retail_platform.governance.plan import governance_plan
from retail_platform.local.stack import StackState
from retail_platform.resources.warehouse import (
    SnowflakeGovernance,
    SnowflakeWarehouse,
    WarehouseLoadError,
)
from retail_platform_tests.resources.test_warehouse import (
    TEST_SCHEMA,
    local_warehouse,
    query,
    unique_table,
)


@pytest.fixture(scope="module")
def warehouse(local_stack: StackState) -> SnowflakeWarehouse:
    """The session's fakesnow server, in the loader tests' schema."""
    return local_warehouse(local_stack.endpoints.snowflake_port)


def test_config_comes_from_the_warehouse_and_the_governance_fields() -> None:
    loader = SnowflakeWarehouse(account="a", user="u", database="retail", schema_name="gold")
    governance = SnowflakeGovernance(
        warehouse=loader, bi_warehouse="reporting_wh", reader_role="bi", pii_admin_role="pii"
    )
    assert governance.config() == GovernanceConfig(
        database="RETAIL",
        schema="GOLD",
        warehouse="REPORTING_WH",
        reader_role="BI",
        pii_admin_role="PII",
        policy_schema="GOVERNANCE",
    )


def test_render_mode_writes_the_script_and_never_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("render mode connected to the warehouse")

    monkeypatch.setattr("snowflake.connector.connect", refuse)
    loader = SnowflakeWarehouse(account="unused", user="unused")
    path = tmp_path / "governance" / "gold.sql"
    governance = SnowflakeGovernance(warehouse=loader, apply=False, render_path=str(path))
    plan = governance_plan(GOLD_TABLES, governance.config())

    outcome = governance.enforce(plan.statements, ["Governance of RETAIL.GOLD."])

    assert outcome.rendered_to == path and (outcome.applied, outcome.skipped) == (0, 0)
    text = path.read_text()
    assert text.startswith("-- Governance of RETAIL.GOLD.\n\n-- ")
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    assert len(sqlglot.parse(text, read="snowflake")) == len(plan.statements)
    for statement in plan.statements:
        probe = statement.skip_if
        skipped = f"-- skipped when this finds a row: {probe.rendered()}\n" if probe else ""
        assert f"-- {statement.purpose}\n{skipped}{statement.sql};" in text
    assert (
        '-- skipped when this finds a row: SELECT 1 FROM "RETAIL".INFORMATION_SCHEMA.'
        "TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = 'GOLD' AND TABLE_NAME = 'FACT_ORDER_LINES' "
        "AND CONSTRAINT_NAME = 'FK_FACT_ORDER_LINES__DATE_KEY'\n"
    ) in text


def test_render_mode_needs_a_path() -> None:
    loader = SnowflakeWarehouse(account="unused", user="unused")
    with pytest.raises(ValueError, match="render_path"):
        SnowflakeGovernance(warehouse=loader, apply=False).enforce([], [])


@pytest.mark.integration
def test_apply_mode_runs_statements_once_and_skips_what_its_probe_finds(
    warehouse: SnowflakeWarehouse,
) -> None:
    table = unique_table("governed").upper()
    target = f'"RETAIL"."{TEST_SCHEMA}"."{table}"'
    statements = [
        Statement(
            f"CREATE TABLE {target} (ID NUMBER(19,0))",
            f"create {table}",
            "schema",
            skip_if=Probe(
                "SELECT 1 FROM RETAIL.INFORMATION_SCHEMA.TABLES "
                "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (TEST_SCHEMA, table),
            ),
        ),
        Statement(f"COMMENT ON TABLE {target} IS 'Governed.'", f"describe {table}", "comment"),
    ]
    governance = SnowflakeGovernance(warehouse=warehouse)

    first = governance.enforce(statements, [])
    second = governance.enforce(statements, [])

    assert (first.applied, first.skipped) == (2, 0) and first.query_ids
    assert (second.applied, second.skipped) == (1, 1)  # CREATE TABLE alone would fail now
    comment = query(
        warehouse,
        "SELECT COMMENT FROM RETAIL.INFORMATION_SCHEMA.TABLES "
        "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        [TEST_SCHEMA, table],
    )
    assert comment == [("Governed.",)]


@pytest.mark.integration
def test_a_failing_statement_is_named_in_the_error(warehouse: SnowflakeWarehouse) -> None:
    governance = SnowflakeGovernance(warehouse=warehouse)
    statements = [Statement("SELECT * FROM RETAIL.NO_SUCH_SCHEMA.NO_TABLE", "read nothing", "x")]
    with pytest.raises(WarehouseLoadError, match="governance: step 'read nothing' failed"):
        governance.enforce(statements, [])
