"""Quarantine limits: shares per source on small frames, and a fully quarantined partner file
over the session's real partner files (ingested from the local S3 stand-in)."""

from __future__ import annotations

import shutil

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.gold import star
from retail_platform.assets.silver import SILVER_MODULES
from retail_platform.environment import local_resources
from retail_platform.local.demo import QUIET
from retail_platform.quality.checks import build_asset_checks
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.quality.quarantine import (
    QUARANTINE_CHECK,
    WHOLE_TABLE,
    QuarantineLimits,
    quarantine_by_source,
    quarantine_by_source_counts,
    quarantine_check_result,
    rows_per_source_after,
)
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.conftest import PipelineRun

REASON = "_quarantine_reason"


def _validated(sources: list[tuple[str, str, str | None]]) -> pl.LazyFrame:
    """Rows as silver validation leaves them: (_source, _source_key, reason)."""
    return pl.LazyFrame(
        {
            "_source": [source for source, _, _ in sources],
            "_source_key": [key for _, key, _ in sources],
            "_batch_id": ["run-1"] * len(sources),
            REASON: [reason for _, _, reason in sources],
        },
        schema={"_source": pl.String, "_source_key": pl.String, "_batch_id": pl.String,
                REASON: pl.String},
    )  # fmt: skip


def test_shares_are_counted_per_file_and_for_the_whole_table() -> None:
    rows = [("s3:sales", "s3://b/a.csv", None)] * 3 + [
        ("s3:sales", "s3://b/b.csv", "quantity: not an integer: 'x'; unit_price: missing"),
        ("s3:sales", "s3://b/b.csv", "quantity: not an integer: 'y'"),
        ("s3:sales", "s3://b/b.csv", None),
    ]
    table = quarantine_by_source(_validated(rows))
    assert table.select("source", "rows", "quarantined", "share", "top_reasons").rows() == [
        # 2 of 6; the rule counts, whatever the quoted value: 2 x quantity, 1 x unit_price.
        ("(all rows)", 6, 2, 0.3333, "quantity: not an integer (2); unit_price: missing (1)"),
        ("file s3://b/a.csv", 3, 0, 0.0, ""),
        ("file s3://b/b.csv", 3, 2, 0.6667,
         "quantity: not an integer (2); unit_price: missing (1)"),
    ]  # fmt: skip


def test_non_file_sources_count_per_ingestion_batch() -> None:
    rows = [("mongodb:customers", "customers/1", None), ("mongodb:customers", "customers/2", "x")]
    table = quarantine_by_source(_validated(rows))
    assert table.get_column("source").to_list() == ["(all rows)", "batch run-1"]


def test_above_the_warning_share_warns_and_above_the_failure_share_fails() -> None:
    key = dg.AssetKey(["silver", "partner_sales_quarantine"])
    rows = [("s3:sales", "s3://b/a.csv", None)] * 98 + [("s3:sales", "s3://b/a.csv", "bad")] * 2
    warned = quarantine_check_result(
        key, quarantine_by_source(_validated(rows)), QuarantineLimits()
    )
    assert (warned.passed, warned.severity) == (False, dg.AssetCheckSeverity.WARN)

    rows += [("s3:sales", "s3://b/c.csv", "bad: 'v'")] * 3
    failed = quarantine_check_result(
        key, quarantine_by_source(_validated(rows)), QuarantineLimits()
    )
    assert (failed.passed, failed.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert failed.description == (
        "file s3://b/c.csv: 3 of 3 rows quarantined (100.0%), top reasons: bad (3); "
        "(all rows): 5 of 103 rows quarantined (4.9%), top reasons: bad (5); "
        "file s3://b/a.csv: 2 of 100 rows quarantined (2.0%), top reasons: bad (2)"
    )
    assert failed.metadata["sources_over_fail_share"].value == 1
    assert failed.metadata["sample_text"].value.startswith(
        "source=file s3://b/c.csv rows=3 quarantined=3 share=1.0 top_reasons=bad (3)"
    )

    lenient = QuarantineLimits(warn_share=0.05, fail_share=1.0)
    passed = quarantine_check_result(key, quarantine_by_source(_validated(rows[:100])), lenient)
    assert passed.passed


def test_limits_must_be_ordered_shares() -> None:
    with pytest.raises(ValueError, match="0 <= warn_share <= fail_share <= 1"):
        QuarantineLimits(warn_share=0.6, fail_share=0.5)


# --- a fully quarantined partner file, over the session's real partner files ------------------


@pytest.mark.integration
def test_a_fully_quarantined_partner_file_fails_naming_it_while_other_files_publish(
    pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = pipeline_run.state_dir / "lake"
    root = tmp_path_factory.mktemp("quarantine") / "lake"
    for folder in ("silver", "gold", "_audit", "bronze/partner_sales"):
        shutil.copytree(source / folder, root / folder)
    lake = LakeResource(root=str(root))
    expected_silver = lake.scan("silver", "partner_sales").select(pl.len()).collect().item()
    expected_gold = lake.scan("gold", "fact_partner_sales").select(pl.len()).collect().item()
    # A new file from a partner: the rows of a delivered file, every quantity unreadable.
    bronze = lake.scan("bronze", "partner_sales").collect()
    first_key = bronze.get_column("_source_key").sort().first()
    bad_key = first_key.rsplit("/", 1)[0] + "/unreadable-quantities.csv"
    bad = bronze.filter(pl.col("_source_key") == first_key).with_columns(
        _source_key=pl.lit(bad_key), quantity=pl.lit("lots")
    )
    lake.append("bronze", "partner_sales", bad)
    shutil.rmtree(root / "silver" / "partner_sales")  # silver rebuilt from every file
    definitions = dg.Definitions(
        assets=dg.load_assets_from_modules([*SILVER_MODULES, star]),
        asset_checks=build_asset_checks(),
        resources={
            **local_resources(pipeline_run.state_dir),
            "lake": lake,
            "io_manager": AuditedDeltaIOManager(lake=lake),
        },
    )
    job = definitions.resolve_implicit_global_asset_job_def()
    silver_sales = [
        dg.AssetKey(["silver", name]) for name in ("partner_sales", "partner_sales_quarantine")
    ]
    gold_sales = dg.AssetKey(["gold", "fact_partner_sales"])

    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(
            instance=instance, asset_selection=[*silver_sales, gold_sales], run_config=QUIET,
            raise_on_error=False,
        )  # fmt: skip
    with dg.DagsterInstance.ephemeral() as instance:
        # The next run (any launch): gold builds on the published silver.
        second = job.execute_in_process(
            instance=instance, asset_selection=[gold_sales], run_config=QUIET
        )

    assert not first.success  # never a quiet green run
    [check] = [e for e in first.get_asset_check_evaluations() if e.check_name == QUARANTINE_CHECK]
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert check.description.startswith(
        f"file {bad_key}: {bad.height} of {bad.height} rows quarantined (100.0%), top reasons: "
        "quantity"
    )
    quarantined = lake.scan("silver", "partner_sales_quarantine").collect()
    assert quarantined.filter(pl.col("_source_key") == bad_key).height == bad.height
    # Every other file's valid rows are in silver, and the next run puts them in gold.
    assert lake.scan("silver", "partner_sales").select(pl.len()).collect().item() == expected_silver
    assert second.success
    gold_rows = lake.scan("gold", "fact_partner_sales").select(pl.len()).collect().item()
    assert gold_rows == expected_gold


def _bronze(*rows: tuple[str, str | None, str]) -> pl.LazyFrame:
    """Bronze ingestion columns: (_source, _partition_date, _source_key / _batch_id)."""
    return pl.LazyFrame(
        [{"_source": source, "_partition_date": day, "_source_key": key, "_batch_id": key}
         for source, day, key in rows],
        schema={"_source": pl.String, "_partition_date": pl.String, "_source_key": pl.String,
                "_batch_id": pl.String},
    )  # fmt: skip


def test_rows_per_source_move_by_the_rows_that_left_and_entered_bronze() -> None:
    before = pl.LazyFrame({"source": ["partition 2026-10-01", "file s3://a.csv"], "rows": [3, 2]})
    # A corrected day 1 (2 rows left, 1 came), a new day 2, and file a removed whole.
    file_a = ("s3:sales", None, "s3://a.csv")
    removed = _bronze(("rest", "2026-10-01", "b1"), ("rest", "2026-10-01", "b1"), file_a, file_a)
    added = _bronze(("rest", "2026-10-01", "b2"), ("rest", "2026-10-02", "b2"))

    after = rows_per_source_after(before, removed, added).collect()

    assert sorted(after.rows()) == [("partition 2026-10-01", 2), ("partition 2026-10-02", 1)]


def test_the_whole_table_row_is_the_sum_of_the_rows_per_source() -> None:
    per_source = pl.LazyFrame({"source": ["batch m1", "batch m2"], "rows": [3, 1]})
    quarantined = _bronze(("mongo", None, "m2")).with_columns(
        pl.lit("email: not an email").alias(REASON)
    )

    table = quarantine_by_source_counts(per_source, quarantined)

    assert table.select("source", "rows", "quarantined", "share").rows() == [
        (WHOLE_TABLE, 4, 1, 0.25), ("batch m1", 3, 0, 0.0), ("batch m2", 1, 1, 1.0)]  # fmt: skip
