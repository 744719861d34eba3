"""Every asset declares what a reader of the Dagster UI needs: description, group, kinds,
column schema with descriptions, and PII tags on the columns that hold PII."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from retail_platform.environment import Environment

LAYERS = {"bronze", "silver", "gold", "warehouse"}
KNOWN_KINDS = {"delta", "polars", "snowflake", "s3", "mongodb", "rest"}


@pytest.fixture(scope="module")
def asset_graph(tmp_path_factory: pytest.TempPathFactory) -> dg.AssetGraph:
    from retail_platform.definitions import build_definitions

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAIL_PLATFORM_STATE_DIR", str(tmp_path_factory.mktemp("state")))
        definitions = build_definitions(Environment.LOCAL)
        definitions.resolve_all_job_defs()  # fails on a broken selection or partitioning
        return definitions.resolve_asset_graph()


def _nodes(graph: dg.AssetGraph) -> list:
    nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
    return [node for node in nodes if node.is_materializable]


def test_every_asset_is_in_a_layer_group_named_by_its_key(asset_graph: dg.AssetGraph) -> None:
    """Quarantine tables are silver tables (silver/<name>_quarantine) in a group of their own."""
    for node in _nodes(asset_graph):
        if node.key.path[-1].endswith("_quarantine"):
            assert (node.key.path[0], node.group_name) == ("silver", "quarantine"), node.key
            continue
        assert node.group_name in LAYERS, node.key
        assert node.key.path[0] == node.group_name, node.key


def test_every_asset_has_a_description_and_known_kinds(asset_graph: dg.AssetGraph) -> None:
    for node in _nodes(asset_graph):
        assert node.description and len(node.description) > 20, node.key
        assert node.kinds and node.kinds <= KNOWN_KINDS, (node.key, node.kinds)


def test_every_asset_has_a_described_column_schema(asset_graph: dg.AssetGraph) -> None:
    for node in _nodes(asset_graph):
        schema = node.metadata.get("dagster/column_schema")
        assert isinstance(schema, dg.TableSchema), node.key
        assert schema.columns, node.key
        for column in schema.columns:
            assert column.description, (node.key, column.name)


def test_pii_columns_are_tagged_and_assets_say_whether_they_hold_pii(
    asset_graph: dg.AssetGraph,
) -> None:
    bronze_customers = asset_graph.get(dg.AssetKey(["bronze", "customers"]))
    tags = {c.name: c.tags for c in bronze_customers.metadata["dagster/column_schema"].columns}
    assert tags["email"] == {"pii": "email"}
    assert tags["first_name"] == {"pii": "name"}
    assert bronze_customers.tags["pii"] == "raw"

    silver_customers = asset_graph.get(dg.AssetKey(["silver", "customers"]))
    tags = {c.name: c.tags for c in silver_customers.metadata["dagster/column_schema"].columns}
    assert tags["email_token"] == {"pii": "email", "pii_masking": "hmac_token"}
    assert silver_customers.tags["pii"] == "masked"

    for node in _nodes(asset_graph):
        assert node.tags.get("pii") in {"none", "raw", "masked"}, node.key
        if node.group_name in {"silver", "quarantine", "gold", "warehouse"}:
            assert node.tags["pii"] != "raw", f"{node.key} exposes raw PII"


def test_the_five_gold_tables_reach_the_warehouse(asset_graph: dg.AssetGraph) -> None:
    for table in ("dim_customer", "dim_product", "dim_date", "fact_order_lines", "kpi_daily"):
        node = asset_graph.get(dg.AssetKey(["warehouse", table]))
        assert dg.AssetKey(["gold", table]) in node.parent_keys


def test_definitions_module_loads_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the module reads no environment: an invalid one only fails when loaded."""
    import importlib

    monkeypatch.setenv("RETAIL_PLATFORM_ENV", "not-an-environment")
    module = importlib.import_module("retail_platform.definitions")
    importlib.reload(module)
    with pytest.raises(ValueError, match="not-an-environment"):
        module.build_definitions()


def test_workspace_yaml_loads_the_code_location(tmp_path: Path) -> None:
    """What `dagster dev` and the UI load: the workspace file, through Dagster's own CLI."""
    import os
    import subprocess
    import sys

    project_root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "definitions",
            "validate",
            "-w",
            "workspace.yaml",
        ],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "DAGSTER_HOME": str(tmp_path),
            "RETAIL_PLATFORM_STATE_DIR": str(tmp_path / "state"),
        },
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Validation successful for code location retail_platform" in (
        completed.stdout + completed.stderr
    )


# What loading the code location must not import: every run, sensor tick and UI reload pays for
# it. Each is imported where it is used (a resource method, an asset body); pyarrow, deltalake,
# httpx (with rich and pygments), bson and tenacity were imported at load until issue 12.
DEFERRED_MODULES = (
    "pyarrow", "deltalake", "httpx", "rich", "pygments", "bson", "pymongo", "mongomock",
    "tenacity", "boto3", "botocore", "snowflake.connector", "dataframely", "sqlalchemy",
    "hypothesis", "fastapi", "moto", "fakesnow", "numpy", "pandas",
)  # fmt: skip
LOAD_PROBE = """
import json, sys
import dagster as dg
import retail_platform.definitions
definitions = retail_platform.definitions.build_definitions()
dg.Definitions.validate_loadable(definitions)
deferred = json.loads(sys.argv[1])
at_load = [name for name in deferred if name in sys.modules]
# Control: using the lake and a document key imports what loading did not.
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.bronze_documents import document_source_key
LakeResource(root=sys.argv[2]).exists("bronze", "orders")
document_source_key("customers", 1)
print(json.dumps({"at_load": at_load, "after_use": [n for n in deferred if n in sys.modules]}))
"""


def test_loading_the_code_location_imports_none_of_the_deferred_modules(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    # A fresh interpreter: this test process has imported them all already.
    completed = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", LOAD_PROBE, json.dumps(DEFERRED_MODULES),
         str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RETAIL_PLATFORM_ENV": "local",
             "RETAIL_PLATFORM_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    found = json.loads(completed.stdout.strip().splitlines()[-1])

    assert found["at_load"] == []
    assert {"deltalake", "bson"} <= set(found["after_use"])
