"""The Parquet files that make up the current version of each silver Delta table."""

from __future__ import annotations

from deltalake import DeltaTable

from benchmarks.platform_api import SILVER_INPUTS
from benchmarks.workspace import Workspace


def silver_parquet_files(workspace: Workspace) -> dict[str, list[str]]:
    """Table name -> absolute paths of its live Parquet files (from the Delta log)."""
    files = {}
    for name in SILVER_INPUTS:
        uris = DeltaTable(str(workspace.table_path("silver", name))).file_uris()
        files[name] = [uri.removeprefix("file://") for uri in uris]
    return files
