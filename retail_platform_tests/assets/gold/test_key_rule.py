"""A gold table keyed under another surrogate-key rule is rebuilt whole, then records the rule."""

from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake

from retail_platform.assets.gold.increment import (
    FULL,
    INCREMENTAL,
    UNCHANGED,
    GoldParts,
    GoldRun,
    plan_gold,
)
from retail_platform.assets.gold.key_rule import (
    KEY_RULE_PROPERTY,
    KeyRuleMixError,
    record_key_rule,
)
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.quality.publish import commit_slice, record_slice_progress
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.keys import KEY_RULE
from retail_platform_tests.assets.gold.test_increment import CONTRACT, FLAG, SOURCE, Toy, _src

STALE_BLAKE2B = (
    "gold.toy holds surrogate keys of rule blake2b (before key rules were recorded), "
    "this release keys with xxh64-seed42-utf8-unit-separator: rebuilt whole so no table "
    "mixes the two"
)


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.merge_rows("silver", "src", _src((1, 1), (2, 2)), ["d"], FLAG)
    return lake


def _plan(lake: LakeResource, run_id: str = "r") -> tuple[str, str]:
    plan = plan_gold(lake, CONTRACT, [SOURCE], GoldRun(run_id))
    return plan.mode, plan.reason


def _publish_full(lake: LakeResource, run_id: str, in_parts: bool = False) -> None:
    plan = plan_gold(lake, CONTRACT, [SOURCE], GoldRun(run_id))
    rows = plan.scan("src").collect()  # merge_rows does not store the flag
    if in_parts:
        parts = GoldParts("d", ((1,), (2,)), lambda i: rows[i : i + 1], rows.schema)
        piece = plan.full_in_parts(parts)
    else:
        piece = plan.full(rows)
    commit_slice(lake, "gold", "toy", piece)
    record_slice_progress(lake, "gold", "toy", piece, run_id)


def _as_an_older_release_left_it(lake: LakeResource) -> None:
    """gold.toy written and consumed as before key rules were recorded: no property."""
    # Written as an older release's lake wrote it: a Delta table without the property.
    write_deltalake(lake.table_uri("gold", "toy"), pl.DataFrame({"d": [1, 2], "v": [1, 2]}))
    assert KEY_RULE_PROPERTY not in lake.table_properties("gold", "toy")
    _publish_progress_only(lake)


def _publish_progress_only(lake: LakeResource) -> None:
    plan = plan_gold(lake, CONTRACT, [SOURCE], GoldRun("old"))
    record_slice_progress(lake, "gold", "toy", plan.unchanged("d"), "old")


def test_the_rule_is_the_documented_xxh64_one() -> None:
    assert KEY_RULE == "xxh64-seed42-utf8-unit-separator"


def test_a_table_of_an_older_release_is_rebuilt_whole_even_on_a_quiet_night(
    lake: LakeResource,
) -> None:
    _as_an_older_release_left_it(lake)

    # No input moved: without the rule check this night would be UNCHANGED.
    assert _plan(lake) == (FULL, STALE_BLAKE2B)
    _publish_full(lake, "upgrade")

    assert lake.table_properties("gold", "toy")[KEY_RULE_PROPERTY] == KEY_RULE
    assert _plan(lake) == (UNCHANGED, "no input changed since the last run")
    lake.merge_rows("silver", "src", _src((3, 3)), ["d"], FLAG)
    assert _plan(lake)[0] == INCREMENTAL


def test_a_full_build_in_parts_records_the_rule_too(lake: LakeResource) -> None:
    _as_an_older_release_left_it(lake)

    _publish_full(lake, "upgrade", in_parts=True)

    assert lake.table_properties("gold", "toy")[KEY_RULE_PROPERTY] == KEY_RULE
    assert _plan(lake)[0] == UNCHANGED


def test_a_table_recording_another_rule_names_it(lake: LakeResource) -> None:
    _publish_full(lake, "first")  # a first build records the current rule
    lake.set_table_properties("gold", "toy", {KEY_RULE_PROPERTY: "md5-of-the-future"})

    mode, reason = _plan(lake)

    assert mode == FULL
    assert reason.startswith("gold.toy holds surrogate keys of rule md5-of-the-future, ")


def test_recording_the_rule_again_commits_nothing(lake: LakeResource) -> None:
    _publish_full(lake, "first")
    version = lake.version("gold", "toy")

    record_key_rule(lake, "gold", "toy")

    assert lake.version("gold", "toy") == version


def test_slices_keep_the_recorded_rule(lake: LakeResource) -> None:
    _publish_full(lake, "first")
    lake.merge_rows("silver", "src", _src((2, 20)), ["d"], FLAG)
    plan = plan_gold(lake, CONTRACT, [SOURCE], GoldRun("night"))
    piece = plan.slice(pl.DataFrame({"d": [2], "v": [20]}), "d", [2])

    commit_slice(lake, "gold", "toy", piece)

    assert lake.table_properties("gold", "toy")[KEY_RULE_PROPERTY] == KEY_RULE
    assert lake.scan("gold", "toy").sort("d").collect()["v"].to_list() == [1, 20]


class ToyFact(Toy):
    """A gold table `toy_fact` whose `d` references gold.toy."""

    name = "toy_fact"
    foreign_keys = {"d": "toy"}  # noqa: RUF012 (read only)


def test_a_stale_table_is_refused_while_a_table_it_references_holds_keys_of_another_rule(
    lake: LakeResource,
) -> None:
    _as_an_older_release_left_it(lake)  # gold.toy: keys of the old rule
    write_deltalake(lake.table_uri("gold", "toy_fact"), pl.DataFrame({"d": [1], "v": [1]}))

    refused = r"gold\.toy_fact references gold\.toy, whose keys are older"
    with pytest.raises(KeyRuleMixError, match=refused):
        plan_gold(lake, ToyFact(), [SOURCE], GoldRun("night"))  # type: ignore[arg-type]

    _publish_full(lake, "upgrade")  # the referenced table rebuilt first, as a group run does
    rebuilt = plan_gold(lake, ToyFact(), [SOURCE], GoldRun("night"))  # type: ignore[arg-type]
    assert rebuilt.mode == FULL


def test_a_stale_dimension_waits_for_the_run_that_also_rebuilds_its_stale_facts(
    lake: LakeResource,
) -> None:
    contracts = {contract.name: contract for contract in GOLD_TABLES}
    for name in ("dim_product", "fact_order_lines"):  # both as an older release left them
        write_deltalake(lake.table_uri("gold", name), pl.DataFrame({"d": [1]}))
    dim_product = contracts["dim_product"]

    def planned(selected: frozenset[str] | None) -> str:
        return plan_gold(lake, dim_product, [], GoldRun("night", selected=selected)).mode

    with pytest.raises(KeyRuleMixError, match=r"would leave gold\.fact_order_lines"):
        planned(frozenset({"dim_product"}))
    assert planned(frozenset({"dim_product", "fact_order_lines"})) == FULL
    assert planned(None) == FULL  # a run of every asset
