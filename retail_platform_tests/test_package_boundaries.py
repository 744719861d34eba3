"""The house rules on imports, checked in a fresh interpreter (nothing imported before)."""

import subprocess
import sys

import pytest

# Every module of these packages is imported; none may pull in Dagster.
WITHOUT_DAGSTER = ("retail_platform.transforms", "retail_platform.contracts")

PROBE = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] == "dagster"))
"""


@pytest.mark.parametrize("package", WITHOUT_DAGSTER)
def test_package_imports_no_dagster(package: str) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()

    assert loaded == "[]"


def test_the_probe_sees_dagster_when_a_package_imports_it() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", PROBE, "retail_platform.assets"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout

    assert "'dagster'" in loaded
