"""Gold blocking checks answer from the audit of the current version, and only then."""

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.checks import FOREIGN_KEYS, PRIMARY_KEY
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.test_audit_slice import (
    calendar,
    materialize_payments,
    payments_lake,
)

FACT = "fact_payments"


def test_an_audited_version_answers_its_checks_from_the_audit_record(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    assert materialize_payments(lake).success
    version = lake.version("gold", FACT)

    key_check = audited_pass(lake, FACT, PRIMARY_KEY)
    foreign_keys = audited_pass(lake, FACT, FOREIGN_KEYS, ["dim_date"])

    assert key_check is not None and foreign_keys is not None
    assert key_check.passed
    assert key_check.metadata["from_audit_of_version"].value == version
    assert audited_pass(lake, FACT, "a_check_the_audit_did_not_run") is None


def test_a_rebuilt_dimension_or_an_unaudited_write_means_recomputing(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    assert materialize_payments(lake).success

    calendar(lake, date(2026, 10, 1), date(2026, 10, 4))  # dim_date rebuilt after the audit

    assert audited_pass(lake, FACT, FOREIGN_KEYS, ["dim_date"]) is None
    assert audited_pass(lake, FACT, PRIMARY_KEY) is not None
    published = lake.scan("gold", FACT).collect()
    lake.replace_table("gold", FACT, pl.concat([published, published]))  # not audited

    assert audited_pass(lake, FACT, PRIMARY_KEY) is None


def test_the_gold_key_and_foreign_key_checks_report_the_recorded_audit(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    assert materialize_payments(lake).success
    version = lake.version("gold", FACT)
    asset_key = dg.AssetKey(["gold", FACT])

    for check in (PRIMARY_KEY, FOREIGN_KEYS):
        result = run_check(lake, asset_key, check)
        assert (result.run_succeeded, result.passed) == (True, True)
        assert result.metadata["from_audit_of_version"] == version
