"""A fact line without a rate on or before its date fails the check, naming currency and dates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check

FACT = dg.AssetKey(["gold", "fact_partner_sales"])


def _lake(tmp_path: Path, rates: list[Decimal | None]) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    fact = pl.DataFrame(
        {
            "currency": ["USD", "USD", "USD", "EUR"],
            "date_key": [19970101, 19970101, 19980630, 19970101],
            "fx_rate": rates,
        },
        schema={"currency": pl.String, "date_key": pl.Int32, "fx_rate": pl.Decimal(20, 10)},
    )
    lake.replace_table("gold", "fact_partner_sales", fact)
    lake.replace_table(
        "silver", "fx_rates", pl.DataFrame({"reporting_currency": ["EUR"], "currency": ["USD"]})
    )
    return lake


def test_lines_without_a_rate_fail_naming_currency_and_dates(tmp_path: Path) -> None:
    # the three USD lines of 1997-1998 found no rate; the EUR line converts at 1
    lake = _lake(tmp_path, [None, None, None, Decimal("1")])

    run = run_check(lake, FACT, "fx_rates_cover_facts")

    assert not run.passed
    assert run.metadata["lines_without_rate"] == 3
    assert run.metadata["missing"] == (
        "no USD -> EUR rate on or before 1997-01-01, 1998-06-30 (3 lines)"
    )


def test_every_line_with_a_rate_passes(tmp_path: Path) -> None:
    lake = _lake(tmp_path, [Decimal("0.9"), Decimal("0.9"), Decimal("0.8"), Decimal("1")])

    run = run_check(lake, FACT, "fx_rates_cover_facts")

    assert run.passed and run.metadata["missing"] == "none"
