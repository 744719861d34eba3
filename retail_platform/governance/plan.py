"""The whole governance plan for the gold schema, in the order it must run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retail_platform.contracts.model import TableContract
from retail_platform.governance.access import grant_statements, role_statements
from retail_platform.governance.keys import resolve_foreign_keys
from retail_platform.governance.masking import masking_statements
from retail_platform.governance.model import GovernanceConfig, Statement
from retail_platform.governance.schema import comment_statements, foreign_key_statements


@dataclass(frozen=True)
class GovernancePlan:
    statements: list[Statement]
    problems: list[str]  # declarations that could not be made (e.g. an unresolvable FK)

    def count(self, kind: str) -> int:
        return sum(1 for statement in self.statements if statement.kind == kind)


def governance_plan(contracts: Sequence[TableContract], config: GovernanceConfig) -> GovernancePlan:
    """Masking first, then roles and grants: a reader never sees a PII column unmasked,
    even on the first run; then foreign keys and comments for BI tools."""
    foreign_keys, problems = resolve_foreign_keys(contracts)
    statements = [
        *masking_statements(config, contracts),
        *role_statements(config),
        *grant_statements(config, contracts),
        *foreign_key_statements(config, foreign_keys),
        *comment_statements(config, contracts),
    ]
    return GovernancePlan(statements, problems)
