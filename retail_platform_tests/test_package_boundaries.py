"""The house rules on imports, checked in a fresh interpreter (nothing imported before)."""

import json
import subprocess
import sys

import pytest

# Every module of the package is imported; the probe reports what else got loaded.
PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(package: str) -> list[str]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(output)


def _dagster(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] == "dagster"]


@pytest.mark.parametrize(
    "package",
    ["retail_platform.transforms", "retail_platform.contracts", "retail_platform.governance"],
)
def test_pure_packages_import_no_dagster(package: str) -> None:
    assert _dagster(_loaded_by(package)) == []


def test_governance_does_not_import_the_resources_that_import_it() -> None:
    # resources/warehouse imports governance; the reverse would be a cycle.
    loaded = _loaded_by("retail_platform.governance")

    assert [name for name in loaded if name.startswith("retail_platform.resources")] == []


def test_the_probe_sees_dagster_when_a_package_imports_it() -> None:
    assert "dagster" in _dagster(_loaded_by("retail_platform.assets"))
