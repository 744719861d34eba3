"""The audit of a whole gold fact built in parts (a full build, assets/gold/fact_refresh.py).

The parts are audited one at a time, before each is streamed into the table's one commit
(quality/publish.py), and together they must hold the whole table's blocking rules, under the
names `audit_gold` (quality/audit.py) gives them:

- per part: required columns, foreign keys (against the published dimensions), fact amounts,
  fx coverage, and for fact_order_lines the reconciliation with the silver lines of the part's
  own dates (the parts' dates are disjoint and cover every date, so the days reconcile all);
- across parts, decided after the last part (still inside the stream: a failure then commits
  nothing either): the primary key, unique and present over every part (the key columns of
  every part are kept: the facts' keys are one Int64 surrogate, 8 bytes a row), and the
  unknown-member share, a whole-table figure (counts summed over the parts).

A failed part names itself (`part`: its number and dates) in the outcome's counts.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from retail_platform.quality.accuracy import fact_amounts_outcome, fact_reconciles_outcome
from retail_platform.quality.audit_slice import silver_lines_of_dates
from retail_platform.quality.checks import (
    GOLD_BY_NAME,
    foreign_keys_outcome,
    primary_key_outcome,
    required_columns,
    required_columns_outcome,
)
from retail_platform.quality.fx_coverage import FACTS, fx_coverage_outcome, reporting_currency
from retail_platform.quality.outcome import SAMPLE_SIZE, RuleOutcome
from retail_platform.quality.unknown_members import (
    DEFAULT_MAX_UNKNOWN_SHARE,
    UNKNOWN_MEMBER_KEYS,
    unknown_member_counts,
    unknown_member_sample,
    unknown_share_of,
)
from retail_platform.resources.lake import LakeResource

PARTED = FACTS
"""The gold tables whose full build comes in parts (the facts, all converted with fx rates)."""


class KeysSeen:
    """The primary key over every part: each part's key columns are kept (key-sized state),
    and their uniqueness decided once, after the last part (`outcome`)."""

    def __init__(self, key: list[str], schema: pl.Schema) -> None:
        self.key = key
        self._schema = {name: schema[name] for name in key}
        self._seen: list[pl.DataFrame] = []

    def add(self, rows: pl.DataFrame) -> None:
        self._seen.append(rows.select(self.key))

    def outcome(self) -> RuleOutcome:
        """Null and duplicated keys over all parts; sample: the duplicated keys."""
        keys = pl.concat(self._seen) if self._seen else pl.DataFrame(schema=self._schema)
        return primary_key_outcome(keys.lazy(), self.key)


class UnknownShare:
    """The unknown-member share of the whole table: rows and rows on an unknown member summed
    over the parts (and a sample of the first such rows), decided after the last part."""

    def __init__(self, primary_key: list[str], key_columns: tuple[str, ...]) -> None:
        self.primary_key = primary_key
        self.key_columns = key_columns
        self.rows = 0
        self.unknown = 0
        self._samples: list[pl.DataFrame] = []

    def add(self, rows: pl.DataFrame) -> None:
        frame = rows.lazy()
        self.rows += rows.height
        self.unknown += unknown_member_counts(frame, self.key_columns)[1]
        if sum(sample.height for sample in self._samples) < SAMPLE_SIZE:
            self._samples.append(unknown_member_sample(frame, self.primary_key, self.key_columns))

    def outcome(self, max_share: float = DEFAULT_MAX_UNKNOWN_SHARE) -> RuleOutcome:
        samples = [sample for sample in self._samples if sample.height]
        sample = pl.concat(samples) if samples else pl.DataFrame()
        return unknown_share_of(self.rows, self.unknown, sample, max_share)


class PartsAudit:
    """The audit state of one build in parts: call `part` for each part in order, then
    `whole` once after the last. Holds the parts' key columns and a few counts, never a part."""

    def __init__(self, table: str, lake: LakeResource) -> None:
        if table not in PARTED:
            raise ValueError(f"gold.{table} is not built in parts (only {', '.join(PARTED)})")
        self.table = table
        self.lake = lake
        self.contract = GOLD_BY_NAME[table]
        self.key = list(self.contract.primary_key)
        self.rows = 0
        self._keys = KeysSeen(self.key, self.contract.polars_schema)
        columns = UNKNOWN_MEMBER_KEYS.get(table)
        self._unknown = UnknownShare(self.key, columns) if columns else None
        self._currency = reporting_currency(lake)
        self._part_checks: list[RuleOutcome] = []

    def part(self, rows: pl.DataFrame, date_keys: Collection[int], name: str) -> list[RuleOutcome]:
        """The per-part rules on `rows` (the fact rows of `date_keys`); `name` (e.g. 'part 2
        of 5 (...)') is added to a failed outcome's counts. Records the part's keys and counts."""
        self.rows += rows.height
        self._keys.add(rows)
        if self._unknown is not None:
            self._unknown.add(rows)
        frame = rows.lazy()
        outcomes = [
            required_columns_outcome(frame, self.key, required_columns(self.contract)),
        ]
        if self.contract.foreign_keys:
            outcomes.append(
                foreign_keys_outcome(frame, self.contract, lambda n: self.lake.scan("gold", n))
            )
        if self.table == "fact_order_lines":
            outcomes.append(fact_amounts_outcome(frame))
            silver = silver_lines_of_dates(self.lake, date_keys)
            outcomes.append(fact_reconciles_outcome(frame, silver))
        outcomes.append(fx_coverage_outcome(frame, self._currency))
        self._part_checks = outcomes
        return [_named(outcome, name) for outcome in outcomes]

    def whole(self) -> list[RuleOutcome]:
        """Every rule of the whole table, in `audit_gold`'s order: the primary key over all
        parts, the (passed) per-part rules, the unknown-member share over all parts."""
        outcomes = [self._keys.outcome(), *self._part_checks]
        if self._unknown is not None:
            outcomes.append(self._unknown.outcome())
        return outcomes


def _named(outcome: RuleOutcome, part: str) -> RuleOutcome:
    if outcome.passed:
        return outcome
    return RuleOutcome(outcome.check, False, {"part": part, **outcome.counts}, outcome.sample)
