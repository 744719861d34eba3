"""Dagster and its libraries are bounded to the line the code is written for, and installed."""

import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
# The 1.13 line: dagster 1.13.x, its libraries 0.29.x.
LINE = {
    "dagster": "1.13",
    "dagster-webserver": "1.13",
    "dagster-dg-cli": "1.13",
    "dagster-snowflake": "0.29",
    "dagster-aws": "0.29",
    "dagster-postgres": "0.29",
}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())
    listed = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    return {r.name: r for r in map(Requirement, listed) if r.name.startswith("dagster")}


def test_every_dagster_package_has_an_upper_bound_below_the_next_minor() -> None:
    requirements = _requirements()
    assert set(requirements) == set(LINE)
    for name, line in LINE.items():
        major, minor = line.split(".")
        next_minor = f"{major}.{int(minor) + 1}"
        assert requirements[name].specifier.contains(f"{line}.0"), name
        assert not requirements[name].specifier.contains(f"{next_minor}.0"), name


def test_the_installed_packages_are_within_the_bounds() -> None:
    for name, requirement in _requirements().items():
        assert requirement.specifier.contains(importlib.metadata.version(name)), name
