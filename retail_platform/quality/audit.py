"""Write-audit-publish: the blocking rules of a table, run on a candidate before its commit.

A gold table's new version is computed in memory, audited here against the same rules as its
blocking asset checks (the dimensions and silver it is compared with are the published, hence
audited, versions), and committed only when every rule holds. A failed audit commits nothing:
readers keep the previous audited version. Silver audits its candidate rows (the rows about to
be merged) the same way: the published table was audited, so a merge of audited rows keyed on
the primary key keeps every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dagster as dg
import polars as pl

from retail_platform.contracts.model import TableContract
from retail_platform.quality.accuracy import (
    fact_amounts_outcome,
    fact_reconciles_outcome,
    kpi_revenue_outcome,
    line_amounts_outcome,
    silver_lines_of,
)
from retail_platform.quality.checks import (
    GOLD_BY_NAME,
    foreign_keys_outcome,
    primary_key_outcome,
    required_columns,
    required_columns_outcome,
)
from retail_platform.quality.coverage import dates_contiguous_outcome
from retail_platform.quality.fx_coverage import FACTS as CONVERTED_FACTS
from retail_platform.quality.fx_coverage import fx_coverage_outcome, reporting_currency
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.quality.unknown_members import UNKNOWN_MEMBER_KEYS, unknown_share_outcome
from retail_platform.resources.lake import LakeResource

Rule = Callable[[pl.LazyFrame, LakeResource], RuleOutcome]


class AuditFailedError(dg.Failure):
    """A candidate broke a blocking rule: nothing was committed. The description is one line
    naming the table, the check, its counts and a sample; the metadata holds the full sample."""

    def __init__(self, table: str, failed: Sequence[RuleOutcome], version: int | None) -> None:
        self.table = table
        self.failed = tuple(failed)
        kept = f"version {version}" if version is not None else "no version yet"
        message = (
            "; ".join(outcome.one_line(table) for outcome in failed)
            + f". Not published: {table} keeps {kept}."
        )
        metadata: dict[str, object] = {"table": table, "kept_version": str(version)}
        for outcome in failed:
            metadata |= {f"{outcome.check}.{name}": v for name, v in outcome.metadata().items()}
        # The same candidate fails the same way: never retried.
        super().__init__(description=message, metadata=metadata, allow_retries=False)  # type: ignore[arg-type]


def _keys(contract: TableContract) -> list[Rule]:
    key = list(contract.primary_key)
    required = required_columns(contract)
    rules: list[Rule] = [
        lambda frame, _lake: primary_key_outcome(frame, key),
        lambda frame, _lake: required_columns_outcome(frame, key, required),
    ]
    if contract.foreign_keys:
        rules.append(
            lambda frame, lake: foreign_keys_outcome(
                frame, contract, lambda name: lake.scan("gold", name)
            )
        )
    return rules


_EXTRA_GOLD_RULES: dict[str, list[Rule]] = {
    "dim_date": [lambda frame, _lake: dates_contiguous_outcome(frame)],
    "fact_order_lines": [
        lambda frame, _lake: fact_amounts_outcome(frame),
        lambda frame, lake: fact_reconciles_outcome(frame, silver_lines_of(lake)),
    ],
    "kpi_daily": [lambda frame, lake: kpi_revenue_outcome(frame, silver_lines_of(lake))],
}


def _fx_rule(frame: pl.LazyFrame, lake: LakeResource) -> RuleOutcome:
    return fx_coverage_outcome(frame, reporting_currency(lake))


def _unknown_member_rule(contract: TableContract) -> Rule:
    columns = UNKNOWN_MEMBER_KEYS[contract.name]
    return lambda frame, _lake: unknown_share_outcome(frame, contract.primary_key, columns)


def _rules(contract: TableContract) -> list[Rule]:
    rules = [*_keys(contract), *_EXTRA_GOLD_RULES.get(contract.name, [])]
    if contract.name in CONVERTED_FACTS:
        rules.append(_fx_rule)
    if contract.name in UNKNOWN_MEMBER_KEYS:
        rules.append(_unknown_member_rule(contract))
    return rules


GOLD_RULES: dict[str, list[Rule]] = {
    name: _rules(contract) for name, contract in GOLD_BY_NAME.items()
}
"""Per gold table, the blocking rules its candidate must pass (those of its blocking checks)."""


def audit_gold(table: str, candidate: pl.LazyFrame, lake: LakeResource) -> list[RuleOutcome]:
    return [rule(candidate, lake) for rule in GOLD_RULES[table]]


def audit_silver_candidate(contract: TableContract, candidate: pl.LazyFrame) -> list[RuleOutcome]:
    """The rules a silver merge source must pass: key present and unique, required columns
    filled, and for order lines the line arithmetic."""
    key = list(contract.primary_key)
    outcomes = [
        primary_key_outcome(candidate, key),
        required_columns_outcome(candidate, key, required_columns(contract)),
    ]
    if contract.name == "order_lines":
        outcomes.append(line_amounts_outcome(candidate))
    return outcomes


def failed(outcomes: Sequence[RuleOutcome]) -> list[RuleOutcome]:
    return [outcome for outcome in outcomes if not outcome.passed]
