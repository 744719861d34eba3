"""A gold slice is audited with its table's rules scoped to the slice, and published (or not)
by the gold IO manager: a refused slice commits nothing and leaves the recorded progress where
it was, so the next run reads the same changes again."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.gold import star
from retail_platform.assets.gold.fact_refresh import refresh_fact_order_lines
from retail_platform.assets.gold.increment import GoldRun
from retail_platform.contracts import silver
from retail_platform.quality import audit_slice
from retail_platform.quality.audit import audit_gold
from retail_platform.quality.audit_slice import audit_gold_slice, slice_key_outcome
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.quality.publish import AuditedDeltaIOManager, commit_slice
from retail_platform.resources.lake import PUBLISHED, REJECTED, LakeResource
from retail_platform.transforms.gold.dimensions import build_dim_date_spanning, build_dim_product
from retail_platform_tests.assets.gold.gold_history import SilverHistory
from retail_platform_tests.assets.gold.test_gold_assets import run_silver_and_gold
from retail_platform_tests.assets.silver.small_lake import report_bronze_days, write_bronze

FLAG = "_delete"


def payments_rows(*rows: tuple[str, date]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"payment_id": pid, "order_id": "O1", "amount": Decimal("10.00"), "currency": "USD",
             "method": "card", "status": "captured",
             "created_at": datetime.combine(day, datetime.min.time(), UTC), "payment_date": day,
             FLAG: False}
            for pid, day in rows
        ],
        schema=dict(silver.PAYMENTS.polars_schema) | {FLAG: pl.Boolean},
    )  # fmt: skip


def calendar(lake: LakeResource, first: date, last: date) -> None:
    dates = pl.LazyFrame({"date": [first, last]})
    lake.replace_table("gold", "dim_date", build_dim_date_spanning(dates).collect())


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return payments_lake(tmp_path)


def payments_lake(tmp_path: Path) -> LakeResource:
    """Silver payments on Oct 1 and 2 (USD), rates, and a dim_date of Oct 1-3."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    rates = pl.DataFrame(
        {"currency": ["USD"], "rate_date": [date(2026, 9, 1)],
         "rate_to_reporting": [Decimal("0.5")], "reporting_currency": ["EUR"]},
        schema=silver.FX_RATES.polars_schema,
    )  # fmt: skip
    lake.replace_table("silver", "fx_rates", rates)
    payments = payments_rows(("A1", date(2026, 10, 1)), ("A2", date(2026, 10, 2)))
    lake.merge_rows("silver", "payments", payments, ["payment_id"], FLAG)
    calendar(lake, date(2026, 10, 1), date(2026, 10, 3))
    return lake


def materialize_payments(lake: LakeResource) -> dg.ExecuteInProcessResult:
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}
    return dg.materialize([star.fact_payments], resources=resources, raise_on_error=False)


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    event = result.get_asset_materialization_events()[0]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_a_slice_failing_an_audit_commits_nothing_and_keeps_the_progress(
    lake: LakeResource,
) -> None:
    assert materialize_payments(lake).success
    version = lake.version("gold", "fact_payments")
    consumed = lake.progress("gold", "fact_payments", "payments")
    # A late payment dated outside the calendar: its date_key has no dim_date row.
    lake.merge_rows(
        "silver", "payments", payments_rows(("A3", date(2026, 10, 5))), ["payment_id"], FLAG
    )

    refused = materialize_payments(lake)

    assert not refused.success
    assert lake.version("gold", "fact_payments") == version
    assert lake.progress("gold", "fact_payments", "payments") == consumed
    newest = lake.audit_log("gold", "fact_payments")[-1]
    assert (newest.status, newest.failed_checks) == (REJECTED, "foreign_keys_resolve")

    calendar(lake, date(2026, 10, 1), date(2026, 10, 5))  # the calendar catches up
    published = materialize_payments(lake)

    assert published.success
    metadata = _metadata(published)
    assert (metadata["refresh_mode"], metadata["refresh_scope"]) == (
        "incremental",
        "1 date_key value(s)",
    )
    assert metadata["dagster/row_count"] == 3
    assert lake.audit_log("gold", "fact_payments")[-1].status == PUBLISHED
    progress = lake.progress("gold", "fact_payments", "payments")
    assert progress is not None and consumed is not None
    assert progress.source_version == consumed.source_version + 1
    keys = lake.scan("gold", "fact_payments").sort("payment_id").collect()
    assert keys.select("payment_id", "date_key").rows() == [
        ("A1", 20261001), ("A2", 20261002), ("A3", 20261005)]  # fmt: skip


def test_a_slice_key_held_by_a_kept_row_fails_the_primary_key_rule(lake: LakeResource) -> None:
    assert materialize_payments(lake).success
    published = lake.scan("gold", "fact_payments").collect()
    # A2's row again, but under the 1st: the 2nd (where A2 is published) is kept.
    moved = published.filter(pl.col("payment_id") == "A2").with_columns(
        date_key=pl.lit(20261001, pl.Int32)
    )
    slice_rows = pl.concat([published.filter(pl.col("date_key") == 20261001), moved])

    outcomes = audit_gold_slice("fact_payments", slice_rows.lazy(), "date_key", [20261001], lake)

    key_rule = outcomes[0]
    assert key_rule.check == "primary_key_unique_and_present"
    assert not key_rule.passed
    assert (key_rule.counts["duplicated_keys"], key_rule.counts["keys_held_by_kept_rows"]) == (0, 1)
    assert [o.check for o in outcomes if not o.passed] == ["primary_key_unique_and_present"]


def test_the_slice_audit_runs_the_same_checks_as_the_full_audit(lake: LakeResource) -> None:
    assert materialize_payments(lake).success
    rows = lake.scan("gold", "fact_payments")
    full = [o.check for o in audit_gold("fact_payments", rows, lake)]
    scoped = [
        o.check
        for o in audit_gold_slice("fact_payments", rows, "date_key", [20261001, 20261002], lake)
    ]
    assert scoped == full


def _outcome(outcomes: list[RuleOutcome], check: str) -> RuleOutcome:
    return next(outcome for outcome in outcomes if outcome.check == check)


def test_a_slice_reconciles_with_the_silver_lines_of_its_own_dates_only(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    history = SilverHistory(lake)  # orders on Oct 2, 9, 19 and 26: 2 x 10.00 USD each
    piece = refresh_fact_order_lines(lake, GoldRun("r1"))
    commit_slice(lake, "gold", "fact_order_lines", piece)
    calendar(lake, date(2026, 10, 1), date(2026, 10, 31))
    products = build_dim_product(lake.scan("silver", "products")).collect()
    lake.replace_table("gold", "dim_product", products)
    # Silver moves on for Oct 26 only (3 items instead of 2); gold is not rebuilt yet.
    history.apply(
        {"kind": "order", "id": "O4", "delete": False, "customer": "C1", "currency": "USD",
         "day": 25, "hour": 13, "status": "paid", "lines": [{"product": "P1", "quantity": 3}]}
    )  # fmt: skip
    published = lake.scan("gold", "fact_order_lines")
    check = "net_amount_reconciles_with_silver"
    whole = _outcome(audit_gold("fact_order_lines", published, lake), check)
    assert (whole.passed, whole.counts["mismatched_days"]) == (False, 1)

    october_2 = published.filter(pl.col("date_key") == 20261002)
    scoped = audit_gold_slice("fact_order_lines", october_2, "date_key", [20261002], lake)
    assert _outcome(scoped, check).passed

    doubled = october_2.with_columns(net_amount=pl.col("net_amount") * 2)
    wrong = _outcome(
        audit_gold_slice("fact_order_lines", doubled, "date_key", [20261002], lake), check
    )
    assert (wrong.passed, wrong.counts["mismatched_days"]) == (False, 1)


def test_only_keys_new_to_the_replaced_values_are_looked_up_in_the_kept_rows() -> None:
    # Published: keys 1 and 2 on day 1 (replaced), 3 on day 2 (kept).
    published = pl.LazyFrame({"k": [1, 2, 3], "day": [1, 1, 2]})
    replaced = published.filter(pl.col("day") == 1)
    # Key 1 stays, 2 goes, 4 is new: nothing of day 2 holds 1 or 4.
    fine = slice_key_outcome(pl.LazyFrame({"k": [1, 4], "day": [1, 1]}), published, replaced, ["k"])
    assert (fine.passed, fine.counts["keys_held_by_kept_rows"]) == (True, 0)
    # Key 3 moved into day 1 while day 2, which is kept, still holds it.
    moved = slice_key_outcome(
        pl.LazyFrame({"k": [1, 3], "day": [1, 1]}), published, replaced, ["k"]
    )
    assert (moved.passed, moved.counts["keys_held_by_kept_rows"]) == (False, 1)
    assert moved.sample.get_column("k").to_list() == [3]


def test_row_rules_of_a_merged_slice_run_on_its_differing_rows(lake: LakeResource) -> None:
    assert materialize_payments(lake).success
    published = lake.scan("gold", "fact_payments").filter(pl.col("date_key") == 20261001)
    changed = published.collect().with_columns(status=pl.lit(None, pl.String))
    rule = "required_columns_present"

    def required(rows: pl.DataFrame, differing: pl.DataFrame | None) -> RuleOutcome:
        lazy = differing.lazy() if differing is not None else None
        found = audit_gold_slice("fact_payments", rows.lazy(), "date_key", [20261001], lake, lazy)
        return _outcome(found, rule)

    # The changed row lost its status: it fails whether the slice names its differences or not.
    assert not required(changed, None).passed
    assert not required(changed, changed).passed
    # A slice row not among the differences is a published one: its rule is not read again.
    assert required(changed, changed.head(0)).passed


def test_a_kpi_slice_reconciles_with_the_audited_facts_of_its_dates_or_else_silver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    write_bronze(lake)
    with dg.DagsterInstance.ephemeral() as instance:
        report_bronze_days(instance, ["2026-10-01", "2026-10-02", "2026-10-03"])
        assert run_silver_and_gold(lake, instance).success
    check = "revenue_reconciles_with_silver"
    october_1 = lake.scan("gold", "kpi_daily").filter(pl.col("date_key") == 20261001)
    real = audit_slice.silver_lines_of_dates

    def audited(rows: pl.LazyFrame) -> RuleOutcome:
        return _outcome(audit_gold_slice("kpi_daily", rows, "date_key", [20261001], lake), check)

    def no_silver(*_: object) -> pl.LazyFrame:
        raise AssertionError("silver read although the facts were audited against it")

    # The facts' current version passed its reconciliation with silver as it is: the slice is
    # reconciled against the facts of Oct 1, reading no silver line.
    monkeypatch.setattr(audit_slice, "silver_lines_of_dates", no_silver)
    assert audited(october_1).passed
    one_cent_more = october_1.with_columns(revenue=pl.col("revenue") + Decimal("0.01"))
    off = audited(one_cent_more)
    assert (off.passed, off.counts["mismatched_days"]) == (False, 1)

    # Silver moves on after the facts' audit (O1's lines worth twice as much): the facts no
    # longer vouch for silver, so the slice is reconciled with silver's lines of Oct 1, where
    # O1 (2 x 10.00 - 1.00 + 5.00 = 24.00 EUR) is now 48.00.
    monkeypatch.setattr(audit_slice, "silver_lines_of_dates", real)
    lines = lake.scan("silver", "order_lines").collect()
    lake.replace_table(
        "silver", "order_lines", lines.with_columns(line_amount=pl.col("line_amount") * 2)
    )
    moved = audited(october_1)
    assert (moved.passed, moved.counts["mismatched_days"]) == (False, 1)
