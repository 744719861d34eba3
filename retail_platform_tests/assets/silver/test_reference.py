"""The reference exchange rates asset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from retail_platform.assets.silver.reference import fx_rates
from retail_platform.contracts import silver
from retail_platform.resources.lake import DeltaLakeIOManager, LakeResource
from retail_platform.transforms.silver.fx_rates import REFERENCE_RATES_VERSION

KEY = dg.AssetKey(["silver", "fx_rates"])


def test_the_rates_asset_writes_the_reference_table(tmp_path: Path) -> None:
    lake = LakeResource(root=str(tmp_path))

    result = dg.materialize([fx_rates], resources={"io_manager": DeltaLakeIOManager(lake=lake)})

    assert result.success
    rates = lake.scan("silver", "fx_rates").collect()
    assert rates.schema == silver.FX_RATES.polars_schema
    assert rates.height == 12


def test_the_code_version_follows_the_shipped_rates() -> None:
    assert fx_rates.code_versions_by_key[KEY] == REFERENCE_RATES_VERSION
    assert len(REFERENCE_RATES_VERSION) == 12
