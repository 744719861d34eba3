"""Roles and grants: a BI reader with SELECT on the gold tables only, and a PII admin above it."""

from __future__ import annotations

from collections.abc import Sequence

from retail_platform.contracts.model import TableContract
from retail_platform.governance.model import GovernanceConfig, Statement
from retail_platform.sql_text import quote_identifier, string_literal


def role_statements(config: GovernanceConfig) -> list[Statement]:
    reader, admin = quote_identifier(config.reader_role), quote_identifier(config.pii_admin_role)
    gold = f"{config.database}.{config.schema}"
    reader_comment = string_literal(
        f"Read-only access to the {gold} tables for BI tools; PII columns are masked."
    )
    admin_comment = string_literal(
        f"Sees PII in {gold} unmasked when it is the current role of the session; "
        f"inherits {config.reader_role}."
    )
    return [
        Statement(
            f"CREATE ROLE IF NOT EXISTS {reader} COMMENT = {reader_comment}",
            f"create role {config.reader_role}",
            "role",
        ),
        Statement(
            f"CREATE ROLE IF NOT EXISTS {admin} COMMENT = {admin_comment}",
            f"create role {config.pii_admin_role}",
            "role",
        ),
        Statement(
            f"GRANT ROLE {reader} TO ROLE {admin}",
            f"{config.pii_admin_role} inherits {config.reader_role}",
            "grant",
        ),
    ]


def grant_statements(
    config: GovernanceConfig, contracts: Sequence[TableContract]
) -> list[Statement]:
    """USAGE on warehouse, database and schema, then SELECT on each gold table by name.

    Tables are granted one by one rather than ALL/FUTURE TABLES IN SCHEMA, so a table that is
    not a gold contract (a scratch or staging table) is never readable by BI users.
    """
    reader = quote_identifier(config.reader_role)
    usage = [
        ("WAREHOUSE", quote_identifier(config.warehouse), config.warehouse),
        ("DATABASE", quote_identifier(config.database), config.database),
        (
            "SCHEMA",
            quote_identifier(config.database, config.schema),
            f"{config.database}.{config.schema}",
        ),
    ]
    statements = [
        Statement(
            f"GRANT USAGE ON {kind} {target} TO ROLE {reader}",
            f"{config.reader_role} may use {kind.lower()} {label}",
            "grant",
        )
        for kind, target, label in usage
    ]
    for contract in contracts:
        table = quote_identifier(config.database, config.schema, contract.name)
        statements.append(
            Statement(
                f"GRANT SELECT ON TABLE {table} TO ROLE {reader}",
                f"{config.reader_role} may read {contract.name.upper()}",
                "grant",
            )
        )
    return statements
