"""A full fact build in parts: each part audited before it is streamed into one commit, the
primary key and the unknown-member share judged on the whole, a failure commits nothing."""

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.assets.gold import star
from retail_platform.assets.gold.increment import FULL, GoldParts, GoldSlice
from retail_platform.contracts import gold
from retail_platform.quality.audit import audit_gold
from retail_platform.quality.audit_parts import KeysSeen, UnknownShare
from retail_platform.quality.audit_reuse import audited_pass
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.lake import PUBLISHED, REJECTED, LakeResource
from retail_platform_tests.quality.test_audit_slice import FLAG, payments_lake, payments_rows

PRIMARY_KEY = "primary_key_unique_and_present"


def _materialize(lake: LakeResource, part_rows: int) -> dg.ExecuteInProcessResult:
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}
    config = {"full_refresh": True, "part_rows": part_rows}
    run_config = {"ops": {"gold__fact_payments": {"config": config}}}
    return dg.materialize(
        [star.fact_payments], resources=resources, run_config=run_config, raise_on_error=False
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    event = result.get_asset_materialization_events()[0]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def _payment_ids(lake: LakeResource) -> list[str]:
    return sorted(lake.scan("gold", "fact_payments").collect().get_column("payment_id"))


def test_a_build_in_parts_publishes_with_the_whole_audits_checks(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)  # A1 on Oct 1, A2 on Oct 2: two parts of one row

    result = _materialize(lake, part_rows=1)

    assert result.success
    newest = lake.audit_log("gold", "fact_payments")[-1]
    whole = [o.check for o in audit_gold("fact_payments", lake.scan("gold", "fact_payments"), lake)]
    assert (newest.status, newest.rows) == (PUBLISHED, 2)
    assert newest.checks == ", ".join(whole)
    metadata = _metadata(result)
    assert metadata["refresh_scope"] == "whole table in 2 part(s)"
    assert (metadata["rows_recomputed"], metadata["dagster/row_count"]) == (2, 2)
    assert (metadata["first_date"], metadata["last_date"]) == ("2026-10-01", "2026-10-02")
    assert _payment_ids(lake) == ["A1", "A2"]
    # The blocking checks answer from this audit (quality/audit_reuse.py).
    assert audited_pass(lake, "fact_payments", PRIMARY_KEY) is not None
    assert audited_pass(lake, "fact_payments", "foreign_keys_resolve", ["dim_date"]) is not None


def test_a_full_build_of_an_empty_source_is_one_empty_part(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    gone = payments_rows(("A1", date(2026, 10, 1)), ("A2", date(2026, 10, 2)))
    lake.merge_rows("silver", "payments", gone.with_columns(pl.lit(True).alias(FLAG)),
                    ["payment_id"], FLAG)  # fmt: skip

    result = _materialize(lake, part_rows=1)

    assert result.success
    assert _metadata(result)["refresh_scope"] == "whole table in 1 part(s)"
    assert _payment_ids(lake) == []
    assert lake.audit_log("gold", "fact_payments")[-1].status == PUBLISHED


def test_a_bad_row_in_the_second_part_commits_nothing_and_is_recorded(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    assert _materialize(lake, part_rows=1).success
    version = lake.version("gold", "fact_payments")
    consumed = lake.progress("gold", "fact_payments", "payments")
    # A3 on Oct 2 in yen, which has no rate; A4 on Oct 3 is fine: parts Oct 1, 2 and 3.
    yen = payments_rows(("A3", date(2026, 10, 2))).with_columns(currency=pl.lit("JPY"))
    later = pl.concat([yen, payments_rows(("A4", date(2026, 10, 3)))])
    lake.merge_rows("silver", "payments", later, ["payment_id"], FLAG)

    refused = _materialize(lake, part_rows=1)

    assert not refused.success
    assert lake.version("gold", "fact_payments") == version
    assert _payment_ids(lake) == ["A1", "A2"]
    assert lake.progress("gold", "fact_payments", "payments") == consumed
    newest = lake.audit_log("gold", "fact_payments")[-1]
    assert (newest.status, newest.version, newest.failed_checks) == (
        REJECTED,
        version,
        "required_columns_present, fx_rates_cover_facts",  # no rate: no reporting amount
    )
    assert "part=part 2 of 3 (date_key 20261002..20261002)" in newest.detail
    assert "no JPY -> EUR rate on or before 2026-10-02 (1 lines)" in newest.detail


def _parts_asset(parts: list[pl.DataFrame]) -> dg.AssetsDefinition:
    """gold.fact_payments returning these hand-made parts as a full build."""
    schema = gold.FACT_PAYMENTS.polars_schema
    values = tuple(tuple(part.get_column("date_key").unique().sort()) for part in parts)

    @dg.asset(key=["gold", "fact_payments"])
    def fact_payments() -> GoldSlice:
        built = GoldParts("date_key", values, lambda index: parts[index], schema)
        return GoldSlice(pl.DataFrame(schema=schema), None, frozenset(), (), FULL, "test", built)

    return fact_payments


def test_a_key_in_two_parts_fails_the_primary_key_and_commits_nothing(tmp_path: Path) -> None:
    lake = payments_lake(tmp_path)
    assert _materialize(lake, part_rows=1).success
    version = lake.version("gold", "fact_payments")
    published = lake.scan("gold", "fact_payments").sort("payment_id").collect()
    first, second = published.row(0, named=True), published.row(1, named=True)
    # A1's row again in the part of Oct 2: each part alone is unique.
    again = published.head(1).with_columns(date_key=pl.lit(20261002, pl.Int32))
    parts = [published.head(1), pl.concat([published.tail(1), again])]
    assert (first["payment_id"], second["date_key"]) == ("A1", 20261002)
    resources = {"lake": lake, "io_manager": AuditedDeltaIOManager(lake=lake)}

    result = dg.materialize([_parts_asset(parts)], resources=resources, raise_on_error=False)

    assert not result.success
    assert lake.version("gold", "fact_payments") == version
    newest = lake.audit_log("gold", "fact_payments")[-1]
    assert (newest.status, newest.failed_checks) == (REJECTED, PRIMARY_KEY)
    assert "duplicated_keys=1" in newest.detail
    assert f"payment_key={first['payment_key']}" in newest.detail


def test_the_keys_seen_across_parts_name_the_duplicated_key() -> None:
    seen = KeysSeen(["k"], pl.Schema({"k": pl.Int64}))
    seen.add(pl.DataFrame({"k": [1, 2]}))
    seen.add(pl.DataFrame({"k": [3]}))
    assert seen.outcome().passed
    seen.add(pl.DataFrame({"k": [4, 1]}))  # 1 was in the first part

    outcome = seen.outcome()

    assert not outcome.passed
    assert (outcome.counts["duplicated_keys"], outcome.counts["null_keys"]) == (1, 0)
    assert outcome.sample.get_column("k").to_list() == [1]


def _sales(keys: range, unknown: int) -> pl.DataFrame:
    """Partner sales keyed by `keys`, the first `unknown` of them on the unknown product."""
    products = [-1 if index < unknown else 7 for index in range(len(keys))]
    return pl.DataFrame({"partner_sale_key": list(keys), "product_key": products, "partner_key": 3})


def _share() -> UnknownShare:
    return UnknownShare(["partner_sale_key"], ("product_key", "partner_key"))


def test_an_unknown_share_over_the_limit_in_one_part_only_passes_on_the_whole() -> None:
    share = _share()
    share.add(_sales(range(10), unknown=1))  # 10 % of this part, over 5 %
    share.add(_sales(range(10, 100), unknown=0))

    outcome = share.outcome()

    assert outcome.passed  # 1 of 100 rows: 1 %
    assert (outcome.counts["rows"], outcome.counts["rows_with_unknown_member"]) == (100, 1)
    assert outcome.sample.get_column("partner_sale_key").to_list() == [0]


def test_an_unknown_share_over_the_limit_on_the_whole_fails_after_a_clean_part() -> None:
    share = _share()
    share.add(_sales(range(10), unknown=0))
    assert share.outcome().passed  # the first part alone: 0 %
    share.add(_sales(range(10, 20), unknown=2))

    outcome = share.outcome()

    assert not outcome.passed  # 2 of 20 rows: 10 %
    assert (outcome.counts["rows"], outcome.counts["unknown_share"]) == (20, 0.1)
    assert outcome.sample.get_column("partner_sale_key").to_list() == [10, 11]
