"""Gold blocking checks answer from the audit of the current version, and only then; an
incremental run whose slice breaks a rule fails its audit under the check's name."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.gold import star
from retail_platform.assets.gold.fact_refresh import refresh_fact_order_lines
from retail_platform.assets.gold.increment import GoldSlice
from retail_platform.assets.gold.mart_refresh import refresh_kpi_daily
from retail_platform.contracts import bronze
from retail_platform.quality.accuracy import RECONCILED_WITH
from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.checks import FOREIGN_KEYS, PRIMARY_KEY, build_asset_checks
from retail_platform.resources.lake import REJECTED, LakeResource
from retail_platform_tests.assets.gold.test_gold_assets import MODULES, run_silver_and_gold
from retail_platform_tests.assets.silver.small_lake import (
    bronze_table,
    line,
    order,
    report_bronze_days,
    run_assets,
    write_bronze,
)
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.test_audit_slice import (
    calendar,
    materialize_payments,
    payments_lake,
)

D = Decimal
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


def _late_orders(lake: LakeResource) -> None:
    """A night's bronze: O1 (Oct 1) comes back returned, C2 orders on Oct 3."""
    late = [
        order("O1", "C1", "returned", "2026-10-01T10:00:00Z", "2026-10-04T09:00:00Z",
              [line(1, "P1", 2, "10.00", "1.00"), line(2, "P2", 1, "5.00")]),
        order("O6", "C2", "placed", "2026-10-03T10:00:00Z", "2026-10-04T09:30:00Z",
              [line(1, "P1", 1, "10.00")]),
    ]  # fmt: skip
    batch = bronze_table(bronze.ORDERS, late).with_columns(pl.lit("run-2").alias("_batch_id"))
    lake.append("bronze", "orders", batch)


def _tampered(refresh: Callable[..., GoldSlice], **columns: pl.Expr) -> Callable[..., GoldSlice]:
    """The refresh with its slice's rows altered: a bug in a transform, as the audit sees it."""

    def tampered(*args: object, **kwargs: object) -> GoldSlice:
        piece = refresh(*args, **kwargs)
        assert not piece.whole, "the scenario must refresh a slice"
        schema = piece.rows.schema  # same types: only the values are wrong
        altered = {name: expr.cast(schema[name]) for name, expr in columns.items()}
        # A slice committed as a merge writes its differing rows: the bug shows there too.
        merge = piece.merge and replace(
            piece.merge, upserts=piece.merge.upserts.with_columns(**altered)
        )
        return replace(piece, rows=piece.rows.with_columns(**altered), merge=merge)

    return tampered


def _gold_only(lake: LakeResource, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    assets = dg.load_assets_from_modules(MODULES)
    return run_assets(
        assets, build_asset_checks(), lake, instance, dg.AssetSelection.groups("gold")
    )


def _refresh_modes(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    return {
        event.materialization.asset_key.path[-1]: event.materialization.metadata[
            "refresh_mode"
        ].value
        for event in result.get_asset_materialization_events()
    }


def _failed_audit(lake: LakeResource, table: str) -> str:
    newest = lake.audit_log("gold", table)[-1]
    assert newest.status == REJECTED
    return newest.failed_checks


def test_incremental_runs_reuse_the_slice_audit_and_a_bad_slice_fails_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    write_bronze(lake)
    fact, kpis = dg.AssetKey(["gold", "fact_order_lines"]), dg.AssetKey(["gold", "kpi_daily"])
    with dg.DagsterInstance.ephemeral() as instance:
        report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03"])
        assert run_silver_and_gold(lake, instance).success
        _late_orders(lake)
        fact_version = lake.version("gold", "fact_order_lines")

        # 1. A slice whose net_amount_reporting is off by five cents a line (one is tolerated).
        monkeypatch.setattr(
            star,
            "refresh_fact_order_lines",
            _tampered(
                refresh_fact_order_lines,
                net_amount_reporting=pl.col("net_amount_reporting") + D("0.05"),
            ),
        )
        assert not run_silver_and_gold(lake, instance).success
        assert _failed_audit(lake, "fact_order_lines") == "amounts_add_up"
        # 2. A slice that doubles every net amount (and converts it consistently): the amounts
        #    add up, but the dates no longer reconcile with silver.
        monkeypatch.setattr(
            star,
            "refresh_fact_order_lines",
            _tampered(
                refresh_fact_order_lines,
                net_amount=pl.col("net_amount") * 2,
                net_amount_reporting=pl.col("net_amount_reporting") * 2,
            ),
        )
        assert not _gold_only(lake, instance).success
        assert _failed_audit(lake, "fact_order_lines") == "net_amount_reconciles_with_silver"
        assert lake.version("gold", "fact_order_lines") == fact_version  # nothing published
        # The newest build was rejected: the checks recompute on the version readers keep. Its
        # amounts add up, but it lags silver: O1 (24.00 EUR on Oct 1) is returned there, and
        # O6 (10.00 EUR on Oct 3) is new.
        amounts = run_check(lake, fact, "amounts_add_up")
        assert amounts.passed and "from_audit_of_version" not in amounts.metadata
        lagging = run_check(lake, fact, "net_amount_reconciles_with_silver")
        assert (lagging.passed, lagging.metadata["mismatched_days"]) == (False, 2)

        # 3. A right fact, but a kpi_daily slice with one more cent of revenue a day.
        monkeypatch.setattr(star, "refresh_fact_order_lines", refresh_fact_order_lines)
        monkeypatch.setattr(
            star,
            "refresh_kpi_daily",
            _tampered(refresh_kpi_daily, revenue=pl.col("revenue") + D("0.01")),
        )
        third = _gold_only(lake, instance)
        assert not third.success
        assert _refresh_modes(third)["fact_order_lines"] == "incremental"  # published
        assert _failed_audit(lake, "kpi_daily") == "revenue_reconciles_with_silver"

        # 4. Fixed: the slices publish and every check reports the audit of the new version.
        monkeypatch.setattr(star, "refresh_kpi_daily", refresh_kpi_daily)
        fixed = _gold_only(lake, instance)
        assert fixed.success
        assert _refresh_modes(fixed)["kpi_daily"] == "incremental"
        for asset_key, check in (
            (fact, "amounts_add_up"),
            (fact, "net_amount_reconciles_with_silver"),
            (kpis, "revenue_reconciles_with_silver"),
        ):
            reported = run_check(lake, asset_key, check)
            version = lake.version("gold", asset_key.path[-1])
            assert reported.passed and reported.metadata["from_audit_of_version"] == version

        # 5. The next night brings an order of a product the catalog lacks: 1 of the 2 lines of
        #    Oct 3 (the slice) points to the unknown product, over the 5 % allowed. Nothing is
        #    published: the check counts the fact readers keep, which has no such line.
        unknown_product = [
            order("O7", "C2", "placed", "2026-10-03T12:00:00Z", "2026-10-04T10:00:00Z",
                  [line(1, "P9", 1, "10.00")]),
        ]  # fmt: skip
        batch = bronze_table(bronze.ORDERS, unknown_product)
        lake.append("bronze", "orders", batch.with_columns(pl.lit("run-3").alias("_batch_id")))
        assert not run_silver_and_gold(lake, instance).success
        assert _failed_audit(lake, "fact_order_lines") == "unknown_members_within_share"
        kept = run_check(lake, fact, "unknown_members_within_share")
        assert kept.passed and kept.metadata["rows_with_unknown_member"] == 0


def test_a_reconciliation_recomputes_once_silver_moved_after_the_audit(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    write_bronze(lake)
    with dg.DagsterInstance.ephemeral() as instance:
        report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03"])
        assert run_silver_and_gold(lake, instance).success
    # Silver moves on (O1's lines are now worth twice as much); gold has not run since.
    lines = lake.scan("silver", "order_lines").collect()
    lake.replace_table(
        "silver", "order_lines", lines.with_columns(line_amount=pl.col("line_amount") * 2)
    )
    fact = "fact_order_lines"

    assert audited_pass(lake, fact, "amounts_add_up") is not None  # reads no silver
    assert audited_pass(lake, fact, "net_amount_reconciles_with_silver", RECONCILED_WITH) is None
    recomputed = run_check(lake, dg.AssetKey(["gold", fact]), "net_amount_reconciles_with_silver")
    assert not recomputed.passed
    # Oct 1: O1 (2 x 10.00 - 1.00 + 5.00 = 24.00 EUR) doubled in silver: 48.00.
    assert recomputed.metadata["mismatched_days"] == 1
