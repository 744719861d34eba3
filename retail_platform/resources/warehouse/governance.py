"""SnowflakeGovernance: applies governance statements, or renders them where it cannot run them.

Production applies every statement in order through the warehouse connection (optionally as
a dedicated admin role), skipping those whose probe finds their effect already in place. The
local fakesnow server rejects CREATE ROLE, GRANT and masking policies and would enforce the
foreign keys Snowflake only declares, so the local resource is configured with
``apply=False``: the same statements are written to ``render_path`` for review instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from pydantic import Field

from retail_platform.governance.model import (
    BI_READER_ROLE,
    PII_ADMIN_ROLE,
    GovernanceConfig,
    Statement,
    render_sql,
)
from retail_platform.resources.warehouse.resource import SnowflakeWarehouse
from retail_platform.resources.warehouse.runner import StatementRunner
from retail_platform.sql_text import validate_identifier

__all__ = ["GovernanceOutcome", "SnowflakeGovernance", "Statement", "render_sql"]


@dataclass(frozen=True)
class GovernanceOutcome:
    applied: int = 0
    skipped: int = 0  # probes found the effect already in place
    rendered_to: Path | None = None
    query_ids: list[str] = field(default_factory=list)
    duration_s: float = 0.0


class SnowflakeGovernance(dg.ConfigurableResource):
    """Roles, grants, masking policies and BI metadata for the gold schema of ``warehouse``."""

    warehouse: SnowflakeWarehouse
    apply: bool = Field(
        default=True, description="run the statements; False writes them to render_path"
    )
    render_path: str | None = Field(default=None, description="where rendered SQL is written")
    bi_warehouse: str = Field(default="COMPUTE_WH", description="the warehouse BI readers may use")
    reader_role: str = BI_READER_ROLE
    pii_admin_role: str = PII_ADMIN_ROLE
    policy_schema: str = "GOVERNANCE"
    admin_role: str | None = Field(
        default=None,
        description="role that runs the statements (CREATE ROLE, MANAGE GRANTS, "
        "CREATE/APPLY MASKING POLICY); default: the warehouse connection's role",
    )

    def config(self) -> GovernanceConfig:
        return GovernanceConfig(
            database=validate_identifier(self.warehouse.database),
            schema=validate_identifier(self.warehouse.schema_name),
            warehouse=validate_identifier(self.bi_warehouse),
            reader_role=validate_identifier(self.reader_role),
            pii_admin_role=validate_identifier(self.pii_admin_role),
            policy_schema=validate_identifier(self.policy_schema),
        )

    def enforce(self, statements: Sequence[Statement], header: Sequence[str]) -> GovernanceOutcome:
        """Apply the statements in order, or render them to ``render_path``."""
        started = time.perf_counter()
        if not self.apply:
            if not self.render_path:
                raise ValueError("SnowflakeGovernance: apply=False needs a render_path")
            path = Path(self.render_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_sql(statements, header), encoding="utf-8")
            return GovernanceOutcome(rendered_to=path, duration_s=time.perf_counter() - started)
        applied = skipped = 0
        with self.warehouse.connect(role=self.admin_role) as connection:
            runner = StatementRunner(connection.cursor(), "governance")
            for statement in statements:
                probe = statement.skip_if
                if probe is not None and runner.run(
                    f"probe: {statement.purpose}", probe.sql, list(probe.params)
                ):
                    skipped += 1
                    continue
                runner.run(statement.purpose, statement.sql)
                applied += 1
        return GovernanceOutcome(
            applied, skipped, None, runner.query_ids, time.perf_counter() - started
        )
