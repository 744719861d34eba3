"""The production image's dependency set, worked out from docker/Dockerfile and uv.lock.

No Docker engine runs here, so the image is checked by parsing: the Dockerfile's `uv sync`
commands select the lock's packages, and the closure of that selection over uv.lock is what the
image installs. Markers are ignored, so the closure is a superset of any platform's: a package
missing from it is missing from the image.
"""

import ast
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "retail-platform"
# The local stand-ins and the benchmark's peers: never in production.
NOT_IN_IMAGE = {"moto", "fakesnow", "mongomock-ng", "pyspark", "pandas", "duckdb"}
SELECTION_FLAGS = {"--extra", "--all-extras", "--group", "--all-groups", "--only-group", "--dev"}


def _lock() -> dict[str, dict]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def _closure(
    packages: dict[str, dict], extras: set[str] = frozenset(), groups: set[str] = frozenset()
) -> set[str]:
    """Every package the project needs with these extras and dependency groups (all markers)."""
    project = packages[PROJECT]
    pending = list(project.get("dependencies", []))
    for extra in extras:
        pending += project["optional-dependencies"][extra]
    for group in groups:
        pending += project["dev-dependencies"][group]
    found: set[str] = set()
    while pending:
        dependency = pending.pop()
        name = dependency["name"]
        package = packages[name]
        for extra in dependency.get("extra", []):
            pending += package.get("optional-dependencies", {}).get(extra, [])
        if name not in found:
            found.add(name)
            pending += package.get("dependencies", [])
    return found


def _dockerfile_runs() -> list[str]:
    text = re.sub(r"\\\n", " ", (ROOT / "docker" / "Dockerfile").read_text())
    return [line.strip()[4:] for line in text.splitlines() if line.strip().startswith("RUN ")]


def _uv_sync_arguments() -> list[list[str]]:
    commands = []
    for run in _dockerfile_runs():
        words = shlex.split(run)
        for start in (i for i, word in enumerate(words[:-1]) if words[i : i + 2] == ["uv", "sync"]):
            commands.append(words[start + 2 :])
    return commands


def test_the_image_syncs_the_main_dependencies_only() -> None:
    syncs = _uv_sync_arguments()

    assert len(syncs) == 2
    for arguments in syncs:
        assert "--locked" in arguments and "--no-dev" in arguments
        flags = {argument.split("=")[0] for argument in arguments}
        assert flags & SELECTION_FLAGS == set(), arguments


def test_the_image_installs_no_stand_in_and_no_benchmark_peer() -> None:
    image = _closure(_lock())

    assert image & NOT_IN_IMAGE == set()
    # The platform's own runtime is there: the closure is not empty by mistake.
    assert {"dagster", "dagster-snowflake", "deltalake", "polars", "pymongo"} <= image


def test_the_local_extra_and_the_groups_bring_what_the_image_leaves_out() -> None:
    packages = _lock()

    local = _closure(packages, extras={"local"}, groups={"dev"})
    bench = _closure(packages, extras={"local"}, groups={"bench"})

    assert {"moto", "fakesnow", "mongomock-ng", "pandas", "duckdb", "flask"} <= local
    assert {"pyspark", "pandas", "duckdb"} <= bench
    assert "pyspark" not in local


def test_no_runtime_module_imports_a_local_or_benchmark_package() -> None:
    """Only retail_platform/local/ may import the stand-ins; nothing imports the peers."""
    forbidden = {"moto", "fakesnow", "mongomock", "mongomock_ng", "pyspark", "pandas", "duckdb"}
    offenders = []
    for path in sorted((ROOT / "retail_platform").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] == "local":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{relative}: {n}" for n in names if n.split(".")[0] in forbidden]

    assert offenders == []


# Imports what the image runs with the left-out packages made unimportable, in a fresh
# interpreter: the code location module, and the REST simulator compose starts from the image.
BLOCKED_IMPORT_PROBE = """
import importlib, sys
blocked = set(sys.argv[2].split(","))

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in the image")

sys.meta_path.insert(0, Block())
importlib.import_module(sys.argv[1])
print("imported")
"""


@pytest.mark.parametrize(
    "module", ["retail_platform.definitions", "retail_platform.local.rest_simulator"]
)
def test_what_the_image_runs_imports_without_the_left_out_packages(module: str) -> None:
    blocked = "moto,fakesnow,mongomock,mongomock_ng,pyspark,pandas,duckdb"
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT_PROBE, module, blocked],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "imported"
