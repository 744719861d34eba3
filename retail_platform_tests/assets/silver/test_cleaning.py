"""The silver side of write-audit-publish: rows about to be merged are audited first."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.silver.incremental import merge_affected, merge_affected_children
from retail_platform.assets.silver.rebuild import ChildTable
from retail_platform.contracts import silver
from retail_platform.environment import STATE_DIR_VARIABLE
from retail_platform.quality.audit import AuditFailedError
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.conftest import PipelineRun
from retail_platform_tests.quality.tables import table

D = Decimal
ROOT = Path(__file__).resolve().parents[3]
DAGSTER = Path(sys.executable).with_name("dagster")


def _orders(ids: list[str]) -> pl.DataFrame:
    stamp = datetime(2026, 10, 1, tzinfo=UTC)
    return table(silver.ORDERS, order_id=ids, updated_at=[stamp] * len(ids))


def _keys(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"order_id": ids}, schema={"order_id": pl.String})


# Order lines as the orders entity builds them; the build is not reached (the audit refuses).
ORDER_LINES = ChildTable(silver.ORDER_LINES, ("order_id",), build=lambda latest: latest)


def test_a_merge_source_with_a_repeated_key_commits_nothing(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("silver", "orders", _orders(["O1", "O2"]))
    version = lake.version("silver", "orders")

    with pytest.raises(AuditFailedError) as refused:
        merge_affected(lake, silver.ORDERS, _orders(["O3", "O3"]), _keys(["O3"]))

    assert str(refused.value.description) == (
        "silver.orders: primary_key_unique_and_present failed (null_keys=0, duplicated_keys=1); "
        f"sample: order_id=O3 occurrences=2. Not published: silver.orders keeps version {version}."
    )
    assert lake.version("silver", "orders") == version
    assert sorted(lake.scan("silver", "orders").collect().get_column("order_id")) == ["O1", "O2"]


def test_order_lines_that_do_not_add_up_are_not_merged(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    # 2 x 10.00 - 1.00 = 19.00, not 20.00
    lines = table(
        silver.ORDER_LINES,
        order_id=["O1"],
        line_number=[1],
        quantity=[2],
        unit_price=[D("10.00")],
        discount=[D("1.00")],
        line_amount=[D("20.00")],
    )

    expected = (
        r"silver.order_lines: line_amounts_add_up failed \(wrong_lines=1\); "
        r"sample: order_id=O1 line_number=1 line_amount=20.00"
    )
    with pytest.raises(AuditFailedError, match=expected):
        merge_affected_children(lake, ORDER_LINES, lines, _keys([]))
    assert not lake.exists("silver", "order_lines")


@pytest.mark.integration
def test_one_silver_table_materializes_alone_from_the_cli(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    """`dagster asset materialize -m retail_platform.definitions --select silver/products` on
    the local stack: the products multi-asset also declares products_quarantine, and a
    subset of it must run."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    environment = os.environ | {
        "RETAIL_PLATFORM_ENV": "local",
        STATE_DIR_VARIABLE: str(pipeline_run.state_dir),
        "DAGSTER_HOME": str(home),
        "NO_COLOR": "1",
    }

    result = subprocess.run(
        [
            str(DAGSTER),
            *("asset", "materialize", "-m", "retail_platform.definitions"),
            *("--select", "silver/products"),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Yielded output "silver__products"' in result.stderr
    assert "RUN_SUCCESS" in result.stderr
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey(["silver", "products"]))
