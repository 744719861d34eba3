"""plan_gold: full, incremental or unchanged, and why."""

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import write_deltalake

from retail_platform.assets.gold import star
from retail_platform.assets.gold.fact_refresh import refresh_fact_payments
from retail_platform.assets.gold.increment import (
    FULL,
    INCREMENTAL,
    UNCHANGED,
    GoldInput,
    GoldRun,
    GoldSlice,
    plan_gold,
)
from retail_platform.assets.silver.run_mode import FULL_REFRESH_TAG
from retail_platform.contracts.model import TableContract
from retail_platform.quality.publish import (
    AuditedDeltaIOManager,
    commit_slice,
    record_slice_progress,
)
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.test_audit_slice import payments_lake, payments_rows

SOURCE = GoldInput("silver", "src")
RATES = GoldInput("silver", "rates", small=True)
FLAG = "_delete"


class Toy:
    """The part of a contract plan_gold reads (a gold table `toy` of two int columns)."""

    name = "toy"
    polars_schema = pl.Schema({"d": pl.Int64, "v": pl.Int64})
    foreign_keys: dict[str, str] = {}  # noqa: RUF012 (read only)


CONTRACT: TableContract = Toy()  # type: ignore[assignment]


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.merge_rows("silver", "src", _src((1, 1), (2, 2)), ["d"], FLAG)
    lake.replace_table("silver", "rates", pl.DataFrame({"r": [1]}))
    return lake


def _src(*rows: tuple[int, int], delete: bool = False) -> pl.DataFrame:
    return pl.DataFrame(
        {"d": [r[0] for r in rows], "v": [r[1] for r in rows], FLAG: [delete] * len(rows)}
    )


def _publish_full(lake: LakeResource, run_id: str = "r1") -> None:
    plan = plan_gold(lake, CONTRACT, [SOURCE, RATES], GoldRun(run_id))
    piece = plan.full(plan.scan("src").drop(FLAG, strict=False).collect())
    commit_slice(lake, "gold", "toy", piece)
    record_slice_progress(lake, "gold", "toy", piece, run_id)


def _plan(lake: LakeResource, full_refresh: bool = False) -> tuple[str, str]:
    plan = plan_gold(lake, CONTRACT, [SOURCE, RATES], GoldRun("r2", full_refresh))
    return plan.mode, plan.reason


def test_a_missing_table_is_built_in_full(lake: LakeResource) -> None:
    assert _plan(lake) == (FULL, "gold.toy does not exist yet")


def test_after_a_full_build_nothing_moved_is_unchanged(lake: LakeResource) -> None:
    _publish_full(lake)
    assert _plan(lake) == (UNCHANGED, "no input changed since the last run")
    assert _plan(lake, full_refresh=True) == (FULL, "full refresh requested")


def test_a_merge_into_an_input_is_incremental_and_its_changes_are_readable(
    lake: LakeResource,
) -> None:
    _publish_full(lake)
    lake.merge_rows("silver", "src", _src((2, 20), (3, 3)), ["d"], FLAG)

    plan = plan_gold(lake, CONTRACT, [SOURCE, RATES], GoldRun("r2"))

    assert (plan.mode, plan.reason) == (INCREMENTAL, "changes in silver.src 0->1")
    assert sorted(plan.changed_values("src", ["d"]).collect().get_column("d")) == [2, 3]


def test_changes_touching_most_of_a_large_input_plan_a_full_build(lake: LakeResource) -> None:
    """The guard counts the changed rows since the consumed version (an update once): 1 of
    the 3 rows (insert d=3) is not over half; then 3 of 4 (inserts d=3 and d=4, update d=2)
    are; the update of d=1 to the values it had changes nothing and is not counted. A small
    table is never guarded."""
    _publish_full(lake)
    guarded = GoldRun("r2", rebuild_share=0.5, guard_min_rows=0)
    lake.merge_rows("silver", "src", _src((3, 3)), ["d"], FLAG)
    assert plan_gold(lake, CONTRACT, [SOURCE, RATES], guarded).mode == INCREMENTAL

    lake.merge_rows("silver", "src", _src((2, 20), (4, 4)), ["d"], FLAG)
    lake.merge_rows(
        "silver",
        "src",
        _src((1, 1)),
        ["d"],
        FLAG,
    )
    plan = plan_gold(lake, CONTRACT, [SOURCE, RATES], guarded)
    assert (plan.mode, plan.reason) == (
        FULL,
        "silver.src: the changes touch 3 of 4 (75%, over 50%): a full build is cheaper",
    )
    # The same changes on a table under guard_min_rows (default 10,000 rows): sliced.
    assert plan_gold(lake, CONTRACT, [SOURCE, RATES], GoldRun("r3", rebuild_share=0.5)).mode == (
        INCREMENTAL
    )


def test_a_whole_rewrite_of_a_large_input_rebuilds_of_a_small_one_does_not(
    lake: LakeResource,
) -> None:
    _publish_full(lake)
    lake.replace_table("silver", "rates", pl.DataFrame({"r": [2]}))
    assert _plan(lake)[0] == INCREMENTAL
    lake.replace_table("silver", "src", pl.DataFrame({"d": [1], "v": [1]}))
    assert _plan(lake) == (FULL, "silver.src was replaced whole since version 0")


def test_an_input_read_whole_is_planned_without_its_change_feed(lake: LakeResource) -> None:
    """An input the gold table reads whole (dim_date: its date bounds) needs no readable
    feed and no size guard: a whole rewrite that changes most rows (which would rebuild for a
    `SOURCE` read as changes) still plans a slice."""
    whole = GoldInput("silver", "src", read_whole=True)
    plan = plan_gold(lake, CONTRACT, [whole, RATES], GoldRun("r1"))
    piece = plan.full(plan.scan("src").drop(FLAG, strict=False).collect())
    commit_slice(lake, "gold", "toy", piece)
    record_slice_progress(lake, "gold", "toy", piece, "r1")
    lake.replace_table("silver", "src", pl.DataFrame({"d": [5, 6], "v": [5, 6]}))
    guarded = GoldRun("r2", rebuild_share=0.5, guard_min_rows=0)

    assert plan_gold(lake, CONTRACT, [whole, RATES], guarded).mode == INCREMENTAL
    assert plan_gold(lake, CONTRACT, [SOURCE, RATES], guarded).mode == FULL


def test_a_new_reporting_currency_in_the_rates_rebuilds_every_fact(tmp_path: Path) -> None:
    """New rates in the same currency change some dates; another reporting currency changes
    every amount, including dates no rate covers (they must fail the audit, not keep USD)."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    rates = GoldInput("silver", "rates", small=True, whole_column="reporting_currency")
    usd = pl.DataFrame({"rate_date": [1, 2], "reporting_currency": ["USD", "USD"]})
    lake.replace_table("silver", "rates", usd)
    lake.merge_rows("silver", "src", _src((1, 1)), ["d"], FLAG)
    plan = plan_gold(lake, CONTRACT, [SOURCE, rates], GoldRun("r1"))
    piece = plan.full(plan.scan("src").collect())
    commit_slice(lake, "gold", "toy", piece)
    record_slice_progress(lake, "gold", "toy", piece, "r1")

    lake.replace_table(
        "silver", "rates", usd.vstack(usd.with_columns(rate_date=pl.lit(3, pl.Int64)))
    )
    assert plan_gold(lake, CONTRACT, [SOURCE, rates], GoldRun("r2")).mode == INCREMENTAL

    lake.replace_table("silver", "rates", usd.with_columns(reporting_currency=pl.lit("EUR")))
    plan = plan_gold(lake, CONTRACT, [SOURCE, rates], GoldRun("r3"))
    assert (plan.mode, plan.reason) == (
        FULL,
        "silver.rates.reporting_currency changed: USD -> EUR",
    )


def test_an_input_without_progress_or_a_table_off_contract_rebuilds(lake: LakeResource) -> None:
    _publish_full(lake)
    lake.replace_table("silver", "extra", pl.DataFrame({"x": [1]}))
    plan = plan_gold(lake, CONTRACT, [SOURCE, GoldInput("silver", "extra")], GoldRun("r3"))
    assert (plan.mode, plan.reason) == (FULL, "no recorded progress in silver.extra")
    lake.replace_table("gold", "toy", pl.DataFrame({"d": [1]}))
    assert _plan(lake) == (FULL, "gold.toy is not in its contract's schema")


def test_an_input_consumed_before_its_feed_was_on_rebuilds(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    write_deltalake(lake.table_uri("silver", "src"), pl.DataFrame({"d": [1], "v": [1]}).to_arrow())
    lake.replace_table("silver", "rates", pl.DataFrame({"r": [1]}))
    _publish_full(lake)  # consumed src version 0, written without a feed
    lake.merge_rows("silver", "src", _src((2, 2)), ["d"], FLAG)  # turns the feed on

    mode, reason = _plan(lake)

    assert (mode, reason) == (FULL, "silver.src version 0 has no readable change data feed")


def test_the_full_refresh_tag_or_config_rebuilds_a_fact_and_says_so(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}
    assert dg.materialize([star.fact_payments], resources=resources).success

    def mode(**kwargs: object) -> tuple[object, object]:
        result = dg.materialize([star.fact_payments], resources=resources, **kwargs)  # type: ignore[arg-type]
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        return metadata["refresh_mode"].value, metadata["refresh_reason"].value

    assert mode() == (UNCHANGED, "no input changed since the last run")
    assert mode(tags={FULL_REFRESH_TAG: "true"}) == (FULL, "full refresh requested")
    config = {"ops": {"gold__fact_payments": {"config": {"full_refresh": True}}}}
    assert mode(run_config=config) == (FULL, "full refresh requested")


def test_changes_found_unreadable_while_reading_rebuild_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = payments_lake(tmp_path)
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}
    assert dg.materialize([star.fact_payments], resources=resources).success
    lake.merge_rows("silver", "payments", _late_payment(), ["payment_id"], FLAG)
    readable = LakeResource.changes

    def vacuumed_between(
        self: LakeResource,
        layer: str,
        table: str,
        since: int,
        until: int | None = None,
        columns: object = None,
    ) -> object:
        if table == "payments" and until != since:  # both ends readable, the files between not
            return None
        return readable(self, layer, table, since, until, columns)  # type: ignore[arg-type]

    monkeypatch.setattr(LakeResource, "changes", vacuumed_between)
    piece = refresh_fact_payments(lake, GoldRun("r2"))

    assert piece.mode == FULL
    assert piece.reason == "silver.payments changes since version 0 unreadable: rebuilt in full"
    assert sorted(_built(piece).get_column("payment_id")) == ["A1", "A2", "A3"]


def _late_payment() -> pl.DataFrame:
    return payments_rows(("A3", date(2026, 10, 2)))


def test_a_fact_whose_changes_affect_most_of_its_dates_is_built_whole(tmp_path: Path) -> None:
    """The calendar holds Oct 1-3. A late payment on Oct 2 affects 1 of those 3 days (not over
    half): a slice. With one on Oct 3 too, 2 days of 3 are affected: built whole."""
    lake = payments_lake(tmp_path)
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}
    assert dg.materialize([star.fact_payments], resources=resources).success
    guarded = GoldRun("r2", rebuild_share=0.5, guard_min_rows=0)
    lake.merge_rows("silver", "payments", _late_payment(), ["payment_id"], FLAG)

    piece = refresh_fact_payments(lake, guarded)
    assert (piece.mode, piece.values) == (INCREMENTAL, frozenset({20261002}))

    later = payments_rows(("A4", date(2026, 10, 3)))
    lake.merge_rows("silver", "payments", later, ["payment_id"], FLAG)
    piece = refresh_fact_payments(lake, guarded)
    assert (piece.mode, piece.reason) == (
        FULL,
        "2 affected dates: the changes touch 2 of 3 (67%, over 50%): a full build is cheaper",
    )
    assert sorted(_built(piece).get_column("payment_id")) == ["A1", "A2", "A3", "A4"]


def _built(piece: GoldSlice) -> pl.DataFrame:
    """The rows of a full fact build: its parts, concatenated (a few rows here)."""
    assert piece.parts is not None  # a full fact build comes in parts
    return pl.concat(part for _, part in piece.parts)
