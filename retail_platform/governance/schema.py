"""BI metadata Snowflake declares but does not enforce: foreign keys, table and column comments.

Primary keys are declared by the loader when it creates a table; foreign keys are added here,
after every table exists, each guarded by a probe (Snowflake has no ADD CONSTRAINT IF NOT
EXISTS). Comments are re-set on every run, so edited contract descriptions reach Snowflake.
"""

from __future__ import annotations

from collections.abc import Sequence

from retail_platform.contracts.model import Column, TableContract
from retail_platform.governance.keys import ForeignKey
from retail_platform.governance.model import GovernanceConfig, Probe, Statement
from retail_platform.sql_text import quote_identifier, string_literal


def foreign_key_statements(
    config: GovernanceConfig, foreign_keys: Sequence[ForeignKey]
) -> list[Statement]:
    constraints = f"{quote_identifier(config.database)}.INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
    statements = []
    for key in foreign_keys:
        table = quote_identifier(config.database, config.schema, key.table)
        ref_table = quote_identifier(config.database, config.schema, key.ref_table)
        statements.append(
            Statement(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote_identifier(key.constraint_name)} "
                f"FOREIGN KEY ({quote_identifier(key.column)}) "
                f"REFERENCES {ref_table} ({quote_identifier(key.ref_column)})",
                f"declare {key.table.upper()}.{key.column.upper()} -> "
                f"{key.ref_table.upper()}.{key.ref_column.upper()}",
                "constraint",
                skip_if=Probe(
                    f"SELECT 1 FROM {constraints} WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
                    "AND CONSTRAINT_NAME = ?",
                    (config.schema.upper(), key.table.upper(), key.constraint_name),
                ),
            )
        )
    return statements


def column_comment(column: Column, config: GovernanceConfig) -> str:
    if not column.pii:
        return column.description
    return (
        f"{column.description} PII ({column.pii}): masked (NULL) for every role "
        f"except {config.pii_admin_role}."
    )


def comment_statements(
    config: GovernanceConfig, contracts: Sequence[TableContract]
) -> list[Statement]:
    statements = []
    for contract in contracts:
        table = quote_identifier(config.database, config.schema, contract.name)
        statements.append(
            Statement(
                f"COMMENT ON TABLE {table} IS {string_literal(contract.description)}",
                f"describe {contract.name.upper()}",
                "comment",
            )
        )
        for column in contract.columns:
            target = quote_identifier(config.database, config.schema, contract.name, column.name)
            statements.append(
                Statement(
                    f"COMMENT ON COLUMN {target} IS "
                    f"{string_literal(column_comment(column, config))}",
                    f"describe {contract.name.upper()}.{column.name.upper()}",
                    "comment",
                )
            )
    return statements
