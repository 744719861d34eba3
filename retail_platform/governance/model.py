"""The governance vocabulary: its configuration, a statement, and the rendered SQL file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retail_platform.sql_text import sql_literal

STATEMENT_SEPARATOR = ";\n\n"
# The roles governance creates; the one place their names are defined (Power BI connects as the
# reader, the resource and the docs take them from here).
BI_READER_ROLE = "RETAIL_BI_READER"
PII_ADMIN_ROLE = "RETAIL_PII_ADMIN"


@dataclass(frozen=True)
class GovernanceConfig:
    """Names the statements use; identifiers are validated when statements are built."""

    database: str = "RETAIL"
    schema: str = "GOLD"
    warehouse: str = "COMPUTE_WH"  # the warehouse BI readers run their queries on
    reader_role: str = BI_READER_ROLE
    pii_admin_role: str = PII_ADMIN_ROLE
    policy_schema: str = "GOVERNANCE"  # masking policies live apart from the data they mask


@dataclass(frozen=True)
class Probe:
    """A query that returns a row when a statement's effect is already in place.

    Used where Snowflake has no IF NOT EXISTS form (ADD CONSTRAINT): the statement then runs
    only when the probe finds nothing, which keeps the whole plan idempotent.
    """

    sql: str
    params: tuple[str, ...] = ()

    def rendered(self) -> str:
        """The probe with its (validated identifier) parameters written in as literals."""
        text = self.sql
        for value in self.params:
            text = text.replace("?", sql_literal(value), 1)
        return text


@dataclass(frozen=True)
class Statement:
    sql: str
    purpose: str  # one line for logs and the rendered file
    kind: str  # role, grant, schema, masking_policy, masking, constraint, comment
    skip_if: Probe | None = None


def render_sql(statements: Sequence[Statement], header: Sequence[str] = ()) -> str:
    """One SQL script: a comment header, then each statement preceded by its purpose."""
    preamble = "".join(f"-- {line}".rstrip() + "\n" for line in header)
    blocks = []
    for statement in statements:
        lines = [f"-- {statement.purpose}"]
        if statement.skip_if is not None:
            lines.append(f"-- skipped when this finds a row: {statement.skip_if.rendered()}")
        lines.append(statement.sql)
        blocks.append("\n".join(lines))
    return preamble + "\n" + STATEMENT_SEPARATOR.join(blocks) + ";\n"
