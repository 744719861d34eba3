"""Write-audit-publish across runs, over the real local servers (fakesnow, the session's lake).

A gold build that fails a blocking rule commits nothing; a warehouse load launched later, in
its own run (plain or backfill-style), refuses with a message naming table, check and version,
and Snowflake keeps its last good load. Once the data is fixed, the next runs publish and load.
Runs on a copy of the session's pipeline lake and in a Snowflake schema of its own, so the
session's `pipeline_run` stays untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from retail_platform.assets.gold import star
from retail_platform.assets.silver import SILVER_MODULES
from retail_platform.assets.warehouse.load import warehouse_assets
from retail_platform.contracts import gold
from retail_platform.environment import local_resources
from retail_platform.local.demo import QUIET
from retail_platform.quality.checks import build_asset_checks
from retail_platform.quality.publish import AuditedDeltaIOManager, NotAuditedError, audited_version
from retail_platform.resources.lake import PUBLISHED, REJECTED, AuditRecord, LakeResource
from retail_platform.resources.warehouse import SnowflakeWarehouse
from retail_platform_tests.conftest import PipelineRun
from retail_platform_tests.quality.tables import table
from retail_platform_tests.resources.test_warehouse import local_warehouse

SCHEMA = "WAP_TESTS"
FACT = "fact_order_lines"
FACT_KEY = dg.AssetKey(["gold", FACT])
RETENTION_KEY = dg.AssetKey(["gold", "fact_customer_retention"])
WAREHOUSE_FACT = dg.AssetKey(["warehouse", FACT])
WAREHOUSE_STAR = [
    dg.AssetKey(["warehouse", name]) for name in ("dim_customer", "dim_product", "dim_date", FACT)
]


@dataclass(frozen=True)
class Platform:
    lake: LakeResource
    warehouse: SnowflakeWarehouse
    definitions: dg.Definitions


@pytest.fixture(scope="module")
def platform(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Platform:
    """The pipeline's silver and gold (with their audit logs) copied to a lake of our own."""
    root = tmp_path_factory.mktemp("wap") / "lake"
    source = pipeline_run.state_dir / "lake"
    for folder in ("silver", "gold", "_audit"):
        shutil.copytree(source / folder, root / folder)
    lake = LakeResource(root=str(root))
    warehouse = local_warehouse(pipeline_run.stack.endpoints.snowflake_port, SCHEMA)
    resources = {
        **local_resources(pipeline_run.state_dir),
        "lake": lake,
        "io_manager": AuditedDeltaIOManager(lake=lake),
        "warehouse": warehouse,
    }
    definitions = dg.Definitions(
        assets=[*dg.load_assets_from_modules([*SILVER_MODULES, star]), *warehouse_assets],
        asset_checks=build_asset_checks(),
        resources=resources,
    )
    return Platform(lake, warehouse, definitions)


def _run(
    platform: Platform, keys: list[dg.AssetKey], tags: dict[str, str] | None = None
) -> dg.ExecuteInProcessResult:
    """One run, as a separate launch: its own instance, so no earlier run's checks gate it."""
    job = platform.definitions.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            instance=instance,
            asset_selection=keys,
            run_config=QUIET,
            tags=tags or {},
            raise_on_error=False,
        )


def _snowflake(warehouse: SnowflakeWarehouse, table: str) -> tuple[int, str]:
    return warehouse.table_row_count(table), warehouse.table_checksum(table)


def _step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error.cause is not None:
            error = error.cause
        messages.append(error.message)
    return messages


@pytest.fixture(scope="module")
def broken(platform: Platform) -> Iterator[dict[str, object]]:
    """Snowflake loaded from audited gold; then silver gets a repeated order line."""
    loaded = _run(platform, WAREHOUSE_STAR)
    assert loaded.success, _step_errors(loaded)
    lake = platform.lake
    lines = lake.scan("silver", "order_lines").collect()
    before = {
        "snowflake": _snowflake(platform.warehouse, FACT),
        "gold_version": lake.version("gold", FACT),
        "gold_rows": lake.scan("gold", FACT).select(pl.len()).collect().item(),
        "retention": lake.scan("gold", "fact_customer_retention").collect(),
        "lines": lines,
    }
    repeated = lines.sort("order_id", "line_number").head(1)
    lake.replace_table("silver", "order_lines", pl.concat([lines, repeated]))
    yield before | {"repeated": repeated.row(0, named=True)}


@pytest.mark.integration
def test_a_failed_gold_audit_commits_nothing_and_names_check_and_keys(
    platform: Platform, broken: dict[str, object]
) -> None:
    result = _run(platform, [FACT_KEY])

    assert not result.success
    [message] = _step_errors(result)
    repeated = broken["repeated"]
    assert "gold.fact_order_lines: primary_key_unique_and_present failed (" in message
    assert "duplicated_keys=1" in message
    assert f"keeps version {broken['gold_version']}" in message
    lake = platform.lake
    assert lake.version("gold", FACT) == broken["gold_version"]
    assert lake.scan("gold", FACT).select(pl.len()).collect().item() == broken["gold_rows"]
    newest = lake.audit_log("gold", FACT)[-1]
    assert (newest.status, newest.failed_checks) == (REJECTED, "primary_key_unique_and_present")
    # The sample names the repeated line's key (the fact key of order O.., line 1).
    fact_key = (
        lake.scan("gold", FACT)
        .filter(
            (pl.col("order_id") == repeated["order_id"])
            & (pl.col("line_number") == repeated["line_number"])
        )
        .select("order_line_key")
        .collect()
        .item()
    )
    assert f"order_line_key={fact_key} occurrences=2" in message


@pytest.mark.integration
@pytest.mark.parametrize(
    "tags",
    [
        {},
        # What a backfill's runs carry: the guarantee does not depend on how the run started.
        {"dagster/backfill": "wap-test", "retail/trigger": "backfill"},
    ],
    ids=["separate-run", "backfill-run"],
)
def test_a_later_load_refuses_and_snowflake_keeps_its_last_good_load(
    platform: Platform, broken: dict[str, object], tags: dict[str, str]
) -> None:
    _run(platform, [FACT_KEY])  # the failed build (idempotent: commits nothing)

    result = _run(platform, [WAREHOUSE_FACT, RETENTION_KEY], tags)

    assert not result.success
    [message] = _step_errors(result)
    assert "refusing to load gold.fact_order_lines" in message
    assert "primary_key_unique_and_present" in message
    assert f"keeps version {broken['gold_version']}" in message
    assert _snowflake(platform.warehouse, FACT) == broken["snowflake"]
    # A downstream gold asset in the same run builds on the previous audited facts.
    retention = platform.lake.scan("gold", "fact_customer_retention").collect()
    assert retention.sort(retention.columns).equals(
        broken["retention"].sort(retention.columns)  # type: ignore[union-attr]
    )


@pytest.mark.integration
def test_once_the_data_is_fixed_the_next_runs_publish_and_load(
    platform: Platform, broken: dict[str, object]
) -> None:
    lake = platform.lake
    lake.replace_table("silver", "order_lines", broken["lines"])  # type: ignore[arg-type]

    built = _run(platform, [FACT_KEY])
    loaded = _run(platform, [WAREHOUSE_FACT])

    assert built.success and loaded.success, _step_errors(built) + _step_errors(loaded)
    assert lake.version("gold", FACT) > broken["gold_version"]  # type: ignore[operator]
    assert lake.audit_log("gold", FACT)[-1].status == "published"
    rows = lake.scan("gold", FACT).select(pl.len()).collect().item()
    assert platform.warehouse.table_row_count(FACT) == rows == broken["gold_rows"]


# --- the loader's question, on small hand-made tables -------------------------------------------


def _products(keys: list[int]) -> pl.DataFrame:
    return table(gold.DIM_PRODUCT, product_key=keys)


def test_only_an_audited_version_is_publishable(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", "dim_product", _products([1]))  # written around the audit
    lake.append("gold", "dim_product", _products([2]))  # a second file, for compaction below
    with pytest.raises(NotAuditedError, match=r"gold.dim_product version 1: check "
                       r"write_audit_publish has no record of it"):  # fmt: skip
        audited_version(lake, "gold", "dim_product")

    lake.record_audit("gold", "dim_product", AuditRecord(PUBLISHED, 1, "run-1", "checks"))
    assert audited_version(lake, "gold", "dim_product").version == 1

    # Compaction rewrites files, not rows: still the audited data.
    DeltaTable(lake.table_uri("gold", "dim_product")).optimize.compact()
    assert audited_version(lake, "gold", "dim_product").version == 2

    lake.replace_table("gold", "dim_product", _products([3]))  # a write that skipped the audit
    with pytest.raises(NotAuditedError, match=r"version 3: .* \(WRITE after audited version 1\)"):
        audited_version(lake, "gold", "dim_product")


def test_a_rejected_newest_build_is_refused_naming_check_and_kept_version(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", "dim_product", _products([1]))
    lake.record_audit("gold", "dim_product", AuditRecord(PUBLISHED, 0, "run-1", "checks"))
    lake.record_audit(
        "gold",
        "dim_product",
        AuditRecord(REJECTED, 0, "run-2", "checks", "required_columns_present", "detail"),
    )
    with pytest.raises(NotAuditedError) as refused:
        audited_version(lake, "gold", "dim_product")
    assert str(refused.value.description) == (
        "refusing to load gold.dim_product: its newest build (run run-2) failed blocking check(s) "
        "required_columns_present and was not published; gold.dim_product keeps version 0, "
        "Snowflake keeps its last good load. detail"
    )
