"""The PBIP folder: a project file, the semantic model (TMDL) and a minimal report (PBIR).

::

    <out>/Retail.pbip                       open this in Power BI Desktop
    <out>/Retail.SemanticModel/definition.pbism
    <out>/Retail.SemanticModel/definition/{database,model,expressions,relationships}.tmdl
    <out>/Retail.SemanticModel/definition/tables/<Table>.tmdl
    <out>/Retail.Report/definition.pbir     the report, bound to the model by relative path
    <out>/Retail.Report/definition/...      one empty page to start from
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from retail_platform.powerbi.model import SemanticModel
from retail_platform.powerbi.tmdl import (
    database_tmdl,
    expressions_tmdl,
    model_tmdl,
    relationships_tmdl,
    table_tmdl,
)

SCHEMAS = "https://developer.microsoft.com/json-schemas/fabric"
PBIP_SCHEMA = f"{SCHEMAS}/pbip/pbipProperties/1.0.0/schema.json"
PBISM_SCHEMA = f"{SCHEMAS}/item/semanticModel/definitionProperties/1.0.0/schema.json"
PBIR_SCHEMA = f"{SCHEMAS}/item/report/definitionProperties/2.0.0/schema.json"
REPORT_SCHEMA = f"{SCHEMAS}/item/report/definition"
PAGE_NAME = "overview"
# Power BI Desktop caches data and user settings here; they do not belong in source control.
GITIGNORE = "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n"


def _json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def table_file_name(table_name: str) -> str:
    return f"{table_name}.tmdl"


def semantic_model_files(model: SemanticModel) -> dict[str, str]:
    """Files of ``<name>.SemanticModel``, by path relative to that folder."""
    files = {
        "definition.pbism": _json({"$schema": PBISM_SCHEMA, "version": "4.0", "settings": {}}),
        "definition/database.tmdl": database_tmdl(model),
        "definition/model.tmdl": model_tmdl(model),
        "definition/expressions.tmdl": expressions_tmdl(model),
        "definition/relationships.tmdl": relationships_tmdl(model),
    }
    for table in model.tables:
        files[f"definition/tables/{table_file_name(table.name)}"] = table_tmdl(table)
    return files


def report_files(model: SemanticModel) -> dict[str, str]:
    """Files of ``<name>.Report`` (PBIR format), by path relative to that folder."""
    return {
        "definition.pbir": _json(
            {
                "$schema": PBIR_SCHEMA,
                "version": "4.0",
                "datasetReference": {"byPath": {"path": f"../{model.name}.SemanticModel"}},
            }
        ),
        "definition/version.json": _json(
            {"$schema": f"{REPORT_SCHEMA}/versionMetadata/1.0.0/schema.json", "version": "2.0.0"}
        ),
        "definition/report.json": _json(
            {
                "$schema": f"{REPORT_SCHEMA}/report/1.0.0/schema.json",
                "themeCollection": {
                    "baseTheme": {
                        "name": "CY24SU10",
                        "reportVersionAtImport": "5.61",
                        "type": "SharedResources",
                    }
                },
                "layoutOptimization": "None",
            }
        ),
        "definition/pages/pages.json": _json(
            {
                "$schema": f"{REPORT_SCHEMA}/pagesMetadata/1.0.0/schema.json",
                "pageOrder": [PAGE_NAME],
                "activePageName": PAGE_NAME,
            }
        ),
        f"definition/pages/{PAGE_NAME}/page.json": _json(
            {
                "$schema": f"{REPORT_SCHEMA}/page/1.0.0/schema.json",
                "name": PAGE_NAME,
                "displayName": "Overview",
                "displayOption": "FitToPage",
                "height": 720,
                "width": 1280,
            }
        ),
    }


def project_files(model: SemanticModel) -> dict[str, str]:
    """Every file of the project, by path relative to the output folder."""
    files = {
        f"{model.name}.pbip": _json(
            {
                "$schema": PBIP_SCHEMA,
                "version": "1.0",
                "artifacts": [{"report": {"path": f"{model.name}.Report"}}],
                "settings": {"enableAutoRecovery": True},
            }
        ),
        ".gitignore": GITIGNORE,
    }
    for folder, contents in (
        (f"{model.name}.SemanticModel", semantic_model_files(model)),
        (f"{model.name}.Report", report_files(model)),
    ):
        files.update({f"{folder}/{path}": text for path, text in contents.items()})
    return files


def write_project(model: SemanticModel, out_dir: Path) -> Path:
    """Write the project under ``out_dir``; returns the .pbip file to open.

    The generated definition folders are replaced whole, so a table that left gold leaves the
    model too; Power BI Desktop's own caches (``.pbi``) are kept.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in (f"{model.name}.SemanticModel", f"{model.name}.Report"):
        shutil.rmtree(out_dir / folder / "definition", ignore_errors=True)
    for relative, text in project_files(model).items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return out_dir / f"{model.name}.pbip"
