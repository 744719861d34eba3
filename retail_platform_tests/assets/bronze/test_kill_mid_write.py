"""A real SIGKILL in the middle of a Delta write: every table stays readable, nothing half
written is visible, and the re-run ends with exactly the delivered rows."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from retail_platform.assets.bronze.s3 import bronze_partner_sales
from retail_platform.local.stack import StackState
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform_tests.assets.bronze.drops import fresh_drops, sales_csv

pytestmark = pytest.mark.integration

BIG_FILES, ROWS_PER_FILE = 4, 100_000
PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def drops(local_stack: StackState) -> Iterator[PartnerDropsResource]:
    with fresh_drops(local_stack) as resource:
        yield resource


def _big_sales_file(partner: int) -> bytes:
    n = pl.int_range(0, ROWS_PER_FILE, eager=True)
    frame = pl.DataFrame(
        {
            "InvoiceNo": n.cast(pl.String),
            "StockCode": "SKU-" + (n % 300 + 10001).cast(pl.String),
            "Description": pl.Series(["A CERAMIC MUG WITH A LONG DESCRIPTION"] * ROWS_PER_FILE),
            "Quantity": (n % 12 + 1).cast(pl.String),
            "InvoiceDate": pl.Series(["10/1/2026 9:00"] * ROWS_PER_FILE),
            "UnitPrice": pl.Series(["4.50"] * ROWS_PER_FILE),
            "CustomerID": (n % 5000 + 12346 + partner).cast(pl.String),
            "Country": pl.Series(["United Kingdom"] * ROWS_PER_FILE),
        }
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _uncommitted_files(table_dir: Path) -> list[str]:
    """Files in the table folder that no commit in its _delta_log refers to."""
    log = table_dir / "_delta_log"
    referenced = set()
    for commit in sorted(log.glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                referenced.add(action["add"]["path"])
    return sorted(
        str(path.relative_to(table_dir))
        for path in table_dir.rglob("*")
        if path.is_file() and log not in path.parents and path.name not in referenced
    )


def _final_name(path: str) -> str:
    return re.sub(r"#\d+$", "", path)


ATTEMPTS = 3  # the kill races the child: on a busy machine one attempt may see no write


def _kill_mid_write(
    drops: PartnerDropsResource, lake_root: Path, child_log: Path
) -> tuple[list[str], int]:
    """Start the ingesting child over `lake_root` and SIGKILL it once data files are written
    but not committed. Returns the files caught in flight (empty: the child finished first)
    and the child's exit code."""
    table_dir = lake_root / "bronze" / "partner_sales"
    files_before = set(os.listdir(table_dir))
    commits_before = len(os.listdir(table_dir / "_delta_log"))
    child = subprocess.Popen(
        [sys.executable, "-m", "retail_platform_tests.assets.bronze.ingest_child",
         drops.endpoint_url or "", drops.bucket, str(lake_root)],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=child_log.open("wb"),
    )  # fmt: skip
    in_flight: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            # Cheap enough to poll every millisecond: new data files, and no new commit yet.
            new_files = set(os.listdir(table_dir)) - files_before
            if new_files and len(os.listdir(table_dir / "_delta_log")) == commits_before:
                os.kill(child.pid, signal.SIGKILL)  # data files written, commit not yet
                in_flight = sorted(new_files)
                break
            time.sleep(0.001)
    finally:
        if child.poll() is None:
            child.kill()
        exit_code = child.wait(timeout=30)
    return in_flight, exit_code


def test_sigkill_mid_write_leaves_tables_readable_and_the_rerun_exact(
    drops: PartnerDropsResource, tmp_path: Path
) -> None:
    lake_root = tmp_path / "lake"
    lake = LakeResource(root=str(lake_root))
    small_key = "partner_sales/PTN00/2026-10-01.csv"
    drops.put_bytes(small_key, sales_csv("1,SKU-10001,Mug,2,10/1/2026 9:00,4.50,,EIRE"))
    resources = {"partner_drops": drops, "lake": lake}
    assert dg.materialize([bronze_partner_sales], resources=resources).success
    big_keys = [f"partner_sales/PTN{n:02d}/2026-10-02.csv" for n in range(1, BIG_FILES + 1)]
    table_dir = lake_root / "bronze" / "partner_sales"
    committed_before = DeltaTable(str(table_dir)).version()
    misses = []
    for attempt in range(ATTEMPTS):
        # A retry delivers corrected big files (new ETags, same row counts): ingested again.
        for number, key in enumerate(big_keys, start=1):
            drops.put_bytes(key, _big_sales_file(number + 10 * attempt))
        child_log = tmp_path / f"child{attempt}.log"
        in_flight, exit_code = _kill_mid_write(drops, lake_root, child_log)
        if in_flight:
            break
        misses.append(f"exit {exit_code}: {child_log.read_text()[-500:]}")

    assert in_flight, f"no write caught in flight in {ATTEMPTS} attempts: {misses}"
    assert exit_code == -signal.SIGKILL
    # Readable, at a committed version; the orphaned files are simply not part of it.
    for table in ("partner_sales", "s3_manifest"):
        assert lake.scan("bronze", table).collect().height > 0
    # The local object store writes `name#N` then renames it, so the kill may land either side.
    assert {_final_name(f) for f in in_flight} <= {
        _final_name(f) for f in _uncommitted_files(table_dir)
    }
    after_kill = lake.scan("bronze", "partner_sales").group_by("_source_key").len().collect()
    expected_per_key = {drops.uri(small_key): 1} | {drops.uri(k): ROWS_PER_FILE for k in big_keys}
    for key, rows in after_kill.iter_rows():
        assert rows == expected_per_key[key]  # never half an object
    assert DeltaTable(str(table_dir)).version() >= committed_before

    rerun = dg.materialize([bronze_partner_sales], resources=resources)

    assert rerun.success
    final = lake.scan("bronze", "partner_sales").group_by("_source_key").len().collect()
    assert dict(final.iter_rows()) == expected_per_key
    manifest = lake.scan("bronze", "s3_manifest").collect()
    assert sorted(manifest.get_column("key")) == sorted([small_key, *big_keys])
    assert dict(manifest.select("key", "etag").iter_rows()) == {
        key: drops.read_object(key)[1].etag for key in [small_key, *big_keys]
    }
