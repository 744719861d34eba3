"""The silver recipe every entity follows: validate, split, keep the latest version, conform.

Every bronze row lands either in the validated set or in quarantine; the metadata proves
`rows_in = rows_valid + rows_quarantined`, and reports how many older versions were superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from retail_platform.contracts.model import TableContract
from retail_platform.transforms.silver.orders import latest_versions
from retail_platform.transforms.silver.validation import quarantine_rows

REASON = "_quarantine_reason"


@dataclass(frozen=True)
class Cleaned:
    latest: pl.DataFrame
    """The latest valid version of each key, before conforming (orders explode lines from it)."""
    quarantined: pl.DataFrame
    metadata: dict[str, int]


def clean(
    bronze_rows: pl.LazyFrame,
    bronze_contract: TableContract,
    validate: Callable[[pl.LazyFrame], pl.LazyFrame],
    key: Sequence[str],
    version_column: str,
) -> Cleaned:
    rows_in = bronze_rows.select(pl.len()).collect().item()
    validated = validate(bronze_rows).collect()
    valid = validated.filter(pl.col(REASON).is_null())
    rejected = validated.filter(pl.col(REASON).is_not_null())
    if valid.height + rejected.height != rows_in:
        raise AssertionError(
            f"validating bronze {bronze_contract.name} lost rows: {rows_in} in, "
            f"{valid.height} valid + {rejected.height} quarantined"
        )
    latest = latest_versions(valid.lazy(), key, version_column).collect()
    quarantined = quarantine_rows(rejected.lazy(), bronze_contract).collect()
    return Cleaned(
        latest=latest,
        quarantined=quarantined,
        metadata={
            "rows_in": rows_in,
            "rows_valid": valid.height,
            "rows_quarantined": rejected.height,
            "rows_out": latest.height,
            "versions_superseded": valid.height - latest.height,
        },
    )
