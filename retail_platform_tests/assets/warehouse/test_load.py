"""The warehouse load assets: which tables load incrementally, what they depend on, and what a
materialization reports, over the session's pipeline run against the local servers."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.warehouse.load import (
    build_warehouse_asset,
    incremental_partition_column,
    load_scope,
)
from retail_platform.contracts import gold
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import Column, TableContract
from retail_platform.local.demo import QUIET
from retail_platform.resources.lake import PUBLISHED, AuditRecord, LakeResource
from retail_platform.resources.warehouse import SnowflakeWarehouse
from retail_platform_tests.conftest import PipelineRun
from retail_platform_tests.quality.tables import table as contract_table

KEY = pl.Int64


def test_facts_with_a_date_key_load_incrementally_by_it() -> None:
    modes = {contract.name: incremental_partition_column(contract) for contract in GOLD_TABLES}
    assert {
        "fact_order_lines": "date_key",
        "fact_payments": "date_key",
        "fact_customer_retention": None,  # no date key: replaced whole when it changes
        "kpi_daily": None,
        "dim_customer": None,
        "dim_date": None,
    }.items() <= modes.items()


@pytest.mark.parametrize(
    ("contract", "expected"),
    [
        (
            TableContract(
                "fact_x",
                "x",
                (Column("k", KEY, "k"), Column("date_key", pl.Int32, "d", nullable=False)),
                ("k",),
                {"date_key": "dim_date"},
            ),
            "date_key",
        ),
        (  # a nullable date key cannot partition: its rows would belong to no partition
            TableContract(
                "fact_x",
                "x",
                (Column("k", KEY, "k"), Column("date_key", pl.Int32, "d")),
                ("k",),
                {"date_key": "dim_date"},
            ),
            None,
        ),
        (  # no primary key to merge on
            TableContract(
                "fact_x",
                "x",
                (Column("date_key", pl.Int32, "d", nullable=False),),
                (),
                {"date_key": "dim_date"},
            ),
            None,
        ),
        (  # a dimension is replaced whole
            TableContract(
                "dim_x",
                "x",
                (Column("k", KEY, "k"), Column("date_key", pl.Int32, "d", nullable=False)),
                ("k",),
                {"date_key": "dim_date"},
            ),
            None,
        ),
    ],
)
def test_incremental_partition_column_rules(contract: TableContract, expected: str | None) -> None:
    assert incremental_partition_column(contract) == expected


@pytest.mark.integration
def test_facts_wait_for_their_dimensions_and_governance_for_every_table(
    pipeline_run: PipelineRun,
) -> None:
    graph = pipeline_run.definitions.resolve_asset_graph()
    fact = graph.get(dg.AssetKey(["warehouse", "fact_order_lines"]))
    assert {
        dg.AssetKey(["gold", "fact_order_lines"]),
        dg.AssetKey(["warehouse", "dim_date"]),
        dg.AssetKey(["warehouse", "dim_customer"]),
        dg.AssetKey(["warehouse", "dim_product"]),
    } <= fact.parent_keys
    governance = graph.get(dg.AssetKey(["warehouse", "governance"]))
    assert governance.parent_keys == {
        dg.AssetKey(["warehouse", contract.name]) for contract in GOLD_TABLES
    }


def _latest(run: PipelineRun, table: str) -> dict[str, object]:
    event = run.instance.get_latest_materialization_event(dg.AssetKey(["warehouse", table]))
    assert event is not None and event.asset_materialization is not None, table
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


@pytest.mark.integration
def test_a_fact_materialization_reports_its_incremental_load(pipeline_run: PipelineRun) -> None:
    gold = pipeline_run.definitions.resources["lake"].scan("gold", "fact_order_lines").collect()
    metadata = _latest(pipeline_run, "fact_order_lines")

    assert metadata["table"] == "RETAIL.GOLD.FACT_ORDER_LINES"
    assert metadata["load_mode"] == "incremental"
    assert metadata["dagster/row_count"] == gold.height
    assert metadata["partitions_loaded"] == gold.get_column("date_key").n_unique()
    assert metadata["rows_loaded"] == metadata["rows_inserted"] == gold.height
    assert metadata["rows_merged"] == gold.height and metadata["rows_deleted"] == 0
    assert re.fullmatch(rf"{gold.height}:-?\d+:\d+", str(metadata["checksum"]))
    assert all(len(query_id) == 36 for query_id in str(metadata["query_ids"]).split(", "))
    assert float(metadata["duration_s"]) > 0


@pytest.mark.integration
def test_materializing_the_warehouse_again_changes_nothing(pipeline_run: PipelineRun) -> None:
    tables = [contract.name for contract in GOLD_TABLES]
    before = {table: _latest(pipeline_run, table) for table in tables}
    keys = [dg.AssetKey(["warehouse", table]) for table in tables]

    job = pipeline_run.definitions.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=pipeline_run.instance, asset_selection=keys, run_config=QUIET
    )

    assert result.success
    for table in tables:
        after = _latest(pipeline_run, table)
        assert after["unchanged"] is True, table
        assert (after["rows_loaded"], after["rows_merged"], after["rows_deleted"]) == (0, 0, 0)
        assert after["checksum"] == before[table]["checksum"], table
        assert after["dagster/row_count"] == before[table]["dagster/row_count"], table
        assert after["partitions_read"] == 0, table  # same gold version: nothing read


def test_a_fact_waits_until_snowflake_holds_the_dimension_it_was_audited_against(
    tmp_path: Path,
) -> None:
    """kpi_daily was audited against gold dim_date version 3; Snowflake has version 2 of it."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", "kpi_daily", contract_table(gold.KPI_DAILY, date_key=[20261001]))
    audited = AuditRecord(PUBLISHED, 0, "run-gold", "checks", inputs="dim_date=3")
    lake.record_audit("gold", "kpi_daily", audited)
    lake.record_audit("warehouse", "dim_date", AuditRecord(PUBLISHED, 2, "run-load", "checks"))
    # Never reached: the refusal comes before any connection.
    nowhere = SnowflakeWarehouse(account="x", user="y", host="127.0.0.1", port=9, protocol="http")
    # Without its retry policy: the wait is retried in a deployment (the dimension's load
    # catches up); one attempt is enough here.
    load = build_warehouse_asset(gold.KPI_DAILY, retry_policy=None)

    result = dg.materialize(
        [load], resources={"lake": lake, "warehouse": nowhere}, raise_on_error=False
    )

    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    # Retriable, unlike a refusal of unaudited data (NotAuditedError).
    assert error.cls_name == "DimensionNotLoadedError"
    assert (
        "refusing to load gold.kpi_daily: it was audited (check foreign_keys_resolve) against "
        "gold.dim_date version 3, but Snowflake holds dim_date from version 2; load "
        "warehouse/dim_date first"
    ) in error.message


FACT = "fact_lines"


def _fact(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    """(line_key, date_key, quantity) rows of a small gold fact."""
    return pl.DataFrame(rows, schema={"line_key": KEY, "date_key": KEY, "qty": KEY}, orient="row")


def _loaded(lake: LakeResource, version: int) -> None:
    """As the warehouse asset records a load of gold version `version`."""
    lake.record_audit("warehouse", FACT, AuditRecord(PUBLISHED, version, "run-load", "checks"))


def test_the_load_scope_is_the_dates_changed_since_the_last_loaded_version(
    tmp_path: Path,
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", FACT, _fact([(1, 10, 1), (2, 10, 1), (3, 20, 1), (4, 30, 1)]))
    assert load_scope(lake, FACT, "date_key", 0)[0] is None  # never loaded: everything
    _loaded(lake, 0)
    assert load_scope(lake, FACT, "date_key", 0)[0] == set()  # already there: nothing
    # Version 1: day 20's line 3 changes. Version 2: line 1 moves from day 10 to day 30 (days
    # 10 and 30 rewritten; line 2 and 4 rewritten equal, so their images cancel).
    lake.replace_values("gold", FACT, _fact([(3, 20, 5)]), "date_key", [20])
    lake.replace_values(
        "gold", FACT, _fact([(2, 10, 1), (1, 30, 1), (4, 30, 1)]), "date_key", [10, 30]
    )

    assert load_scope(lake, FACT, "date_key", 1)[0] == {20}
    assert load_scope(lake, FACT, "date_key", 2)[0] == {10, 20, 30}
    _loaded(lake, 1)
    scope, reason = load_scope(lake, FACT, "date_key", 2)
    assert scope == {10, 30}
    assert reason == "2 partitions changed from gold version 1 to 2"
    assert load_scope(lake, FACT, None, 2)[0] is None  # a full table: read whole


def test_the_load_scope_is_everything_when_the_feed_cannot_tell(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", FACT, _fact([(1, 10, 1), (2, 20, 1)]))
    _loaded(lake, 0)
    lake.replace_table("gold", FACT, _fact([(1, 10, 2), (2, 20, 1)]))  # a rebuild: version 1
    scope, reason = load_scope(lake, FACT, "date_key", 1)
    assert scope is None and "replaced whole after version 0" in reason
    # A table written without the change feed (as before the feed existed), then appended to.
    plain = "fact_plain"
    write_deltalake(lake.table_uri("gold", plain), _fact([(1, 10, 1)]).to_arrow())
    write_deltalake(lake.table_uri("gold", plain), _fact([(2, 20, 1)]).to_arrow(), mode="append")
    lake.record_audit("warehouse", plain, AuditRecord(PUBLISHED, 0, "run-load", "checks"))
    scope, reason = load_scope(lake, plain, "date_key", 1)
    assert scope is None and reason == "all partitions: no change feed from gold version 0 to 1"
