"""pyproject.toml and environment.yml list the same packages, and the README's commands exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's.
CONDA_NAMES = {"redis": "redis-py", "kaleido": "python-kaleido"}


def _name(requirement: str) -> str:
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower()
    return name.replace("_", "-")


def pyproject_packages() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {CONDA_NAMES.get(_name(r), _name(r)) for r in requirements}


def environment_packages() -> set[str]:
    names = set()
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+-\s+([A-Za-z0-9_.\-]+)", line)
        if match and match.group(1) not in {"python", "pip"}:
            names.add(_name(match.group(1)))
    return names


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert environment_packages() == pyproject_packages()


def test_the_two_files_agree_on_version_ranges():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env_text = (REPO / "environment.yml").read_text()
    for requirement in project["dependencies"]:
        name = _name(requirement)
        spec = requirement[len(name) :].strip().split(";")[0]
        spec = re.sub(r"\[.*?\]", "", spec)
        assert f"{CONDA_NAMES.get(name, name)}{spec}" in env_text.lower(), requirement


def test_readme_gives_the_two_make_commands_and_ci_runs_make_test():
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
