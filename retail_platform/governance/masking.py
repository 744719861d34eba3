"""Masking policies for every gold column classified as PII.

One policy per Snowflake type family (a policy's signature names one type): it returns the
value only when the session's current role is the PII admin role, NULL otherwise. The policy
is attached with FORCE, so re-running replaces rather than fails, and its body is re-set on
every run, so a changed rule reaches Snowflake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retail_platform.contracts.model import Column, TableContract
from retail_platform.governance.model import GovernanceConfig, Statement
from retail_platform.sql_text import (
    quote_identifier,
    snowflake_type,
    string_literal,
    type_family,
    validate_identifier,
)

POLICY_ARGUMENT = "VAL"


@dataclass(frozen=True)
class PiiColumn:
    table: str
    column: Column
    family: str  # VARCHAR, NUMBER, DATE, ...

    @property
    def policy(self) -> str:
        return policy_name(self.family)


def policy_name(family: str) -> str:
    return f"PII_MASK_{family}"


def pii_columns(contracts: Sequence[TableContract]) -> list[PiiColumn]:
    """Every column that carries a PII class, with the type family its policy must take."""
    return [
        PiiColumn(contract.name, column, type_family(snowflake_type(column.name, column.dtype)))
        for contract in contracts
        for column in contract.columns
        if column.pii
    ]


def policy_body(config: GovernanceConfig) -> str:
    # CURRENT_ROLE, not IS_ROLE_IN_SESSION: roles that merely inherit the admin role (and
    # secondary roles) must not reveal PII; only acting as RETAIL_PII_ADMIN does.
    admin = string_literal(validate_identifier(config.pii_admin_role))
    value = quote_identifier(POLICY_ARGUMENT)
    return f"CASE WHEN CURRENT_ROLE() = {admin} THEN {value} ELSE NULL END"


def masking_statements(
    config: GovernanceConfig, contracts: Sequence[TableContract]
) -> list[Statement]:
    columns = pii_columns(contracts)
    if not columns:
        return []
    schema = quote_identifier(config.database, config.policy_schema)
    statements = [
        Statement(
            f"CREATE SCHEMA IF NOT EXISTS {schema} "
            f"COMMENT = {string_literal('Masking policies for the gold schema.')}",
            f"schema {config.database}.{config.policy_schema} for masking policies",
            "schema",
        )
    ]
    body = policy_body(config)
    argument = quote_identifier(POLICY_ARGUMENT)
    comment = string_literal(f"PII: the value for {config.pii_admin_role} only, else NULL.")
    for family in sorted({column.family for column in columns}):
        policy = quote_identifier(config.database, config.policy_schema, policy_name(family))
        statements += [
            Statement(
                f"CREATE MASKING POLICY IF NOT EXISTS {policy} AS ({argument} {family}) "
                f"RETURNS {family} -> {body} COMMENT = {comment}",
                f"masking policy {policy_name(family)}",
                "masking_policy",
            ),
            Statement(
                f"ALTER MASKING POLICY {policy} SET BODY -> {body}",
                f"masking policy {policy_name(family)}: current rule",
                "masking_policy",
            ),
        ]
    for pii in columns:
        table = quote_identifier(config.database, config.schema, pii.table)
        policy = quote_identifier(config.database, config.policy_schema, pii.policy)
        statements.append(
            Statement(
                f"ALTER TABLE {table} MODIFY COLUMN {quote_identifier(pii.column.name)} "
                f"SET MASKING POLICY {policy} FORCE",
                f"mask {pii.table.upper()}.{pii.column.name.upper()} ({pii.column.pii})",
                "masking",
            )
        )
    return statements
