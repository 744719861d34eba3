"""Fixtures the asset tests share: a small lake with its bronze tables, an ephemeral instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.resources.lake import LakeResource
from retail_platform_tests.assets.silver.small_lake import write_bronze


@pytest.fixture
def small_lake(tmp_path: Path) -> LakeResource:
    """A lake under tmp_path holding the small bronze tables of small_lake.py."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    write_bronze(lake)
    return lake


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance
