"""The result of one data-quality rule, shared by asset checks and the pre-commit audit.

A rule returns a `RuleOutcome`: whether it held, its counts, and a sample (up to 20 rows) of
the offending keys and values. The same outcome becomes an asset check's metadata, an audit
record, the one-line failure message of a run and the failure alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from retail_platform.quality.rules import markdown_table

SAMPLE_SIZE = 20
SAMPLE_IN_MESSAGE = 5  # rows of the sample spelled out in a one-line message
MAX_VALUE_CHARS = 40


@dataclass(frozen=True)
class RuleOutcome:
    check: str
    passed: bool
    counts: Mapping[str, int | float | str] = field(default_factory=dict)
    sample: pl.DataFrame = field(default_factory=pl.DataFrame)
    """Offending rows: their keys and the values that broke the rule (at most SAMPLE_SIZE)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sample", self.sample.head(SAMPLE_SIZE))

    def metadata(self) -> dict[str, object]:
        """Counts, the sample as a table, and the sample as text (what alerts quote)."""
        return {
            **self.counts,
            "sample": dg.MetadataValue.md(markdown_table(self.sample, SAMPLE_SIZE)),
            "sample_rows": self.sample.height,
            "sample_text": sample_text(self.sample, SAMPLE_SIZE) or "none",
        }

    def counts_text(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.counts.items()) or "no counts"

    def one_line(self, table: str) -> str:
        """`<table>: <check> failed (counts); sample: k=v, ...; ...` on a single line."""
        sample = sample_text(self.sample, SAMPLE_IN_MESSAGE)
        more = self.sample.height - SAMPLE_IN_MESSAGE
        suffix = f" (+{more} more in the metadata)" if more > 0 else ""
        shown = f"; sample: {sample}{suffix}" if sample else ""
        return f"{table}: {self.check} failed ({self.counts_text()}){shown}"

    def check_result(self, asset_key: dg.AssetKey | None = None) -> dg.AssetCheckResult:
        kwargs: dict[str, object] = {"passed": self.passed, "metadata": self.metadata()}
        if asset_key is not None:
            kwargs |= {"asset_key": asset_key, "check_name": self.check}
        return dg.AssetCheckResult(**kwargs)  # type: ignore[arg-type]


def sample_text(sample: pl.DataFrame, limit: int) -> str:
    """`column=value column=value` per row, rows separated by ` | `."""
    rows = sample.head(limit).rows(named=True)
    return " | ".join(
        " ".join(f"{name}={_short(value)}" for name, value in row.items()) for row in rows
    )


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
