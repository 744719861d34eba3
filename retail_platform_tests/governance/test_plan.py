"""The governance plan for the gold schema, parsed with sqlglot's Snowflake dialect.

sqlglot parses GRANT, CREATE SCHEMA, ALTER TABLE ... ADD CONSTRAINT and COMMENT into syntax
trees, which the tests inspect; CREATE ROLE, GRANT ROLE and the masking policy statements come
back as generic commands, so the tests assert on their text (and parse the policy body, which
is an ordinary expression, on its own).
"""

from __future__ import annotations

import logging
import re

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import Column, TableContract
from retail_platform.governance.masking import pii_columns
from retail_platform.governance.model import GovernanceConfig, Statement, render_sql
from retail_platform.governance.plan import governance_plan
from retail_platform.resources.warehouse import InvalidIdentifierError

CONFIG = GovernanceConfig(warehouse="BI_WH")
GOLD = {contract.name.upper() for contract in GOLD_TABLES}


@pytest.fixture(autouse=True)
def quiet_sqlglot() -> None:
    # sqlglot warns for every statement it keeps as a generic command.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def statements() -> list[Statement]:
    plan = governance_plan(GOLD_TABLES, CONFIG)
    assert plan.problems == []
    return plan.statements


def parsed(statement: Statement) -> exp.Expr:
    return sqlglot.parse_one(statement.sql, read="snowflake")


def of_kind(statements: list[Statement], kind: str) -> list[Statement]:
    return [statement for statement in statements if statement.kind == kind]


def grants(statements: list[Statement]) -> list[tuple[str, str, str, str]]:
    """(privilege, object kind, object, grantee) of every GRANT sqlglot understands."""
    result = []
    for statement in of_kind(statements, "grant"):
        tree = parsed(statement)
        if not isinstance(tree, exp.Grant):
            continue
        privileges = [
            p.this.name if hasattr(p.this, "name") else str(p.this) for p in tree.args["privileges"]
        ]
        securable = tree.args["securable"]
        principal = tree.args["principals"][0]
        for privilege in privileges:
            result.append(
                (
                    privilege.upper(),
                    tree.args["kind"].upper(),
                    ".".join(part.name for part in securable.parts),
                    principal.this.name,
                )
            )
    return result


def test_every_statement_parses_in_the_snowflake_dialect(statements: list[Statement]) -> None:
    for statement in statements:
        assert parsed(statement) is not None, statement.sql
    rendered = render_sql(statements, ["header line"])
    assert len(sqlglot.parse(rendered, read="snowflake")) == len(statements)


def test_the_reader_may_use_warehouse_database_and_schema_and_select_gold_only(
    statements: list[Statement],
) -> None:
    granted = grants(statements)

    assert ("USAGE", "WAREHOUSE", "BI_WH", "RETAIL_BI_READER") in granted
    assert ("USAGE", "DATABASE", "RETAIL", "RETAIL_BI_READER") in granted
    assert ("USAGE", "SCHEMA", "RETAIL.GOLD", "RETAIL_BI_READER") in granted
    selects = {g for g in granted if g[0] == "SELECT"}
    assert {table for _, _, table, _ in selects} == {f"RETAIL.GOLD.{name}" for name in GOLD}
    assert {"RETAIL.GOLD.DIM_CUSTOMER", "RETAIL.GOLD.FACT_ORDER_LINES"} <= {
        table for _, _, table, _ in selects
    }
    assert {(privilege, kind) for privilege, kind, *_ in granted} == {
        ("USAGE", "WAREHOUSE"),
        ("USAGE", "DATABASE"),
        ("USAGE", "SCHEMA"),
        ("SELECT", "TABLE"),
    }
    assert all(grantee == "RETAIL_BI_READER" for *_, grantee in granted)
    text = " ".join(statement.sql for statement in statements)
    assert "FUTURE" not in text and " ALL " not in text  # named tables only
    assert "LOAD_CONTROL" not in text


def test_the_pii_admin_role_exists_and_inherits_the_reader(statements: list[Statement]) -> None:
    sql = [statement.sql for statement in of_kind(statements, "role")]
    assert any(s.startswith('CREATE ROLE IF NOT EXISTS "RETAIL_BI_READER" COMMENT') for s in sql)
    assert any(s.startswith('CREATE ROLE IF NOT EXISTS "RETAIL_PII_ADMIN" COMMENT') for s in sql)
    assert 'GRANT ROLE "RETAIL_BI_READER" TO ROLE "RETAIL_PII_ADMIN"' in {
        statement.sql for statement in statements
    }


def test_every_pii_column_is_masked_by_a_policy_of_its_type(statements: list[Statement]) -> None:
    pattern = re.compile(
        r'ALTER TABLE "RETAIL"\."GOLD"\."(\w+)" MODIFY COLUMN "(\w+)" '
        r'SET MASKING POLICY "RETAIL"\."GOVERNANCE"\."PII_MASK_(\w+)" FORCE'
    )
    masked = {pattern.fullmatch(s.sql).groups() for s in of_kind(statements, "masking")}

    assert {
        ("DIM_CUSTOMER", "EMAIL_TOKEN", "VARCHAR"),
        ("DIM_CUSTOMER", "BIRTH_YEAR", "NUMBER"),
    } <= masked
    expected = {
        (pii.table.upper(), pii.column.name.upper(), pii.family) for pii in pii_columns(GOLD_TABLES)
    }
    assert masked == expected


def test_the_policies_reveal_values_only_to_the_pii_admin(statements: list[Statement]) -> None:
    policies = of_kind(statements, "masking_policy")
    created = [s.sql for s in policies if s.sql.startswith("CREATE MASKING POLICY IF NOT EXISTS")]
    assert {re.search(r'"(PII_MASK_\w+)"', sql).group(1) for sql in created} >= {
        "PII_MASK_VARCHAR",
        "PII_MASK_NUMBER",
    }
    for statement in policies:
        family = re.search(r'"PII_MASK_(\w+)"', statement.sql).group(1)
        if statement.sql.startswith("CREATE"):
            assert f'AS ("VAL" {family}) RETURNS {family} -> ' in statement.sql
        body = statement.sql.split("-> ", 1)[1].split(" COMMENT = ")[0]
        case = sqlglot.parse_one(body, read="snowflake")
        assert isinstance(case, exp.Case)
        [branch] = case.args["ifs"]
        condition = branch.this
        assert isinstance(condition, exp.EQ) and isinstance(condition.this, exp.CurrentRole)
        assert condition.expression == exp.Literal.string("RETAIL_PII_ADMIN")
        assert branch.args["true"] == exp.column("VAL", quoted=True)
        assert isinstance(case.args["default"], exp.Null)


def test_statements_are_idempotent_forms(statements: list[Statement]) -> None:
    for statement in statements:
        sql = statement.sql
        assert not sql.startswith(("DROP", "REVOKE")), sql
        assert "CREATE OR REPLACE" not in sql, sql  # it would detach policies and grants
        if sql.startswith("CREATE"):
            assert sql.startswith(
                (
                    "CREATE ROLE IF NOT EXISTS",
                    "CREATE SCHEMA IF NOT EXISTS",
                    "CREATE MASKING POLICY IF NOT EXISTS",
                )
            ), sql
        if "SET MASKING POLICY" in sql:
            assert sql.endswith(" FORCE"), sql
        if "ADD CONSTRAINT" in sql:
            assert statement.skip_if is not None, sql


def test_masking_comes_before_any_select_grant(statements: list[Statement]) -> None:
    kinds = [statement.kind for statement in statements]
    first_select = next(i for i, s in enumerate(statements) if "GRANT SELECT" in s.sql)
    assert max(i for i, kind in enumerate(kinds) if kind == "masking") < first_select


def test_foreign_keys_are_declared_against_the_dimensions_primary_keys(
    statements: list[Statement],
) -> None:
    declared = set()
    for statement in of_kind(statements, "constraint"):
        tree = parsed(statement)
        assert isinstance(tree, exp.Alter)
        key = tree.find(exp.ForeignKey)
        reference = key.args["reference"].this
        declared.add(
            (
                tree.this.name,
                key.expressions[0].name,
                reference.this.name,
                reference.expressions[0].name,
            )
        )
        probe = statement.skip_if
        assert "INFORMATION_SCHEMA.TABLE_CONSTRAINTS" in probe.sql
        assert probe.params == ("GOLD", tree.this.name, tree.find(exp.Constraint).this.name)

    assert {
        ("FACT_ORDER_LINES", "DATE_KEY", "DIM_DATE", "DATE_KEY"),
        ("FACT_ORDER_LINES", "CUSTOMER_KEY", "DIM_CUSTOMER", "CUSTOMER_KEY"),
        ("FACT_ORDER_LINES", "PRODUCT_KEY", "DIM_PRODUCT", "PRODUCT_KEY"),
        ("KPI_DAILY", "DATE_KEY", "DIM_DATE", "DATE_KEY"),
    } <= declared
    expected = {
        (contract.name.upper(), column.upper(), ref.upper())
        for contract in GOLD_TABLES
        for column, ref in contract.foreign_keys.items()
    }
    assert {(t, c, r) for t, c, r, _ in declared} == expected


def test_every_table_and_column_is_described(statements: list[Statement]) -> None:
    described = set()
    for statement in of_kind(statements, "comment"):
        tree = parsed(statement)
        assert isinstance(tree, exp.Comment)
        described.add(".".join(part.name for part in tree.this.parts))
    expected = {f"RETAIL.GOLD.{contract.name.upper()}" for contract in GOLD_TABLES}
    expected |= {
        f"RETAIL.GOLD.{contract.name.upper()}.{column.name.upper()}"
        for contract in GOLD_TABLES
        for column in contract.columns
    }
    assert described == expected
    email = next(s.sql for s in statements if '"DIM_CUSTOMER"."EMAIL_TOKEN" IS' in s.sql)
    assert email == (
        'COMMENT ON COLUMN "RETAIL"."GOLD"."DIM_CUSTOMER"."EMAIL_TOKEN" IS '
        "'HMAC token of the email. PII (email): masked (NULL) for every role except "
        "RETAIL_PII_ADMIN.'"
    )


NEW_DIM = TableContract(
    "dim_store",
    "Stores.",
    (
        Column("store_key", pl.Int64, "Key.", nullable=False),
        Column("opened_on", pl.Date, "Opening date.", nullable=False),
        Column("manager_birth_date", pl.Date, "Birth date of the manager.", pii="birth_date"),
    ),
    primary_key=("store_key", "opened_on"),  # composite: cannot be referenced by one column
)
NEW_FACT = TableContract(
    "fact_visits",
    "Store visits.",
    (
        Column("visit_key", pl.Int64, "Key.", nullable=False),
        Column("store_key", pl.Int64, "-> dim_store.", nullable=False),
    ),
    primary_key=("visit_key",),
    foreign_keys={"store_key": "dim_store"},
)


def test_a_new_gold_table_is_governed_without_code_changes() -> None:
    plan = governance_plan((*GOLD_TABLES, NEW_DIM, NEW_FACT), CONFIG)
    sql = [statement.sql for statement in plan.statements]

    assert 'GRANT SELECT ON TABLE "RETAIL"."GOLD"."FACT_VISITS" TO ROLE "RETAIL_BI_READER"' in sql
    assert any(
        'CREATE MASKING POLICY IF NOT EXISTS "RETAIL"."GOVERNANCE"."PII_MASK_DATE"' in s
        for s in sql
    )
    assert (
        'ALTER TABLE "RETAIL"."GOLD"."DIM_STORE" MODIFY COLUMN "MANAGER_BIRTH_DATE" '
        'SET MASKING POLICY "RETAIL"."GOVERNANCE"."PII_MASK_DATE" FORCE'
    ) in sql
    assert not any("FK_FACT_VISITS__STORE_KEY" in s for s in sql)
    assert plan.problems == [
        "fact_visits.store_key -> dim_store: dim_store needs a single-column primary key to be "
        "referenced, it has ['store_key', 'opened_on']"
    ]


@pytest.mark.parametrize("field", ["reader_role", "pii_admin_role", "warehouse", "schema"])
def test_malicious_names_in_the_configuration_are_refused(field: str) -> None:
    config = GovernanceConfig(**{field: 'X"; DROP DATABASE RETAIL; --'})
    with pytest.raises(InvalidIdentifierError, match="DROP DATABASE"):
        governance_plan(GOLD_TABLES, config)
