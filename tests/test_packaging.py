"""What `pip install django-orm-kit` brings and ships; environment.yml and the Makefile agree."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions, requires
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
MAKEFILE = (REPO / "Makefile").read_text()
CI = (REPO / ".ci" / "run").read_text()
# conda-forge names that differ from PyPI's.
CONDA_NAMES = {"redis": "redis-py", "kaleido": "python-kaleido"}


def _name(requirement: str) -> str:
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower()
    return name.replace("_", "-")


def _names(requirements: list[str]) -> set[str]:
    return {_name(r) for r in requirements}


def pyproject_packages() -> set[str]:
    requirements = list(PROJECT["dependencies"])
    for extra in EXTRAS.values():
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
    env_text = (REPO / "environment.yml").read_text().lower()
    core = _names(PROJECT["dependencies"])
    extras = [r for extra in EXTRAS.values() for r in extra if _name(r) not in core]
    # A package in the core and in an extra (Django in notebooks) is listed once, as the core's.
    for requirement in PROJECT["dependencies"] + extras:
        name = _name(requirement)
        spec = requirement[len(name) :].strip().split(";")[0]
        spec = re.sub(r"\[.*?\]", "", spec)
        assert f"- {CONDA_NAMES.get(name, name)}{spec}\n" in env_text, requirement


def test_readme_gives_the_two_make_commands_and_ci_runs_make_test():
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in CI
    assert re.search(r"^lab:", MAKEFILE, re.M) and re.search(r"^test:", MAKEFILE, re.M)


def test_readme_states_the_django_versions_ci_runs():
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "tested on Django 4.2 LTS and 5.2 LTS with Python 3.11" in readme
    assert "Django 6.x needs Python 3.12+ and is not tested here" in readme
    assert "`Django>=4.2,<6.0`" in readme and "Django>=4.2,<6.0" in PROJECT["dependencies"]
    assert _make_variable("DJANGO42") == "Django>=4.2,<5.0"  # .ci/run: make test-django42
    assert "make test-django42" in CI and "make test EXTRAS" in CI  # and .venv's 5.2


# The kit's run-time imports -------------------------------------------------------------------


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    caught = {n.id for n in names if isinstance(n, ast.Name)}
    return bool(caught & {"ImportError", "ModuleNotFoundError"})


def kit_imports() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(required, optional): top-level module -> the kit's files importing it, function-level
    imports included; optional ones sit in a `try` that catches ImportError."""
    required: dict[str, set[str]] = {}
    optional: dict[str, set[str]] = {}
    for path in sorted((REPO / "kit").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        guarded = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.Try) and any(map(_catches_import_error, block.handlers))
            for statement in block.body
            for node in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top == "kit" or top in sys.stdlib_module_names or top == "__future__":
                    continue
                found = optional if id(node) in guarded else required
                found.setdefault(top, set()).add(path.relative_to(REPO).as_posix())
    return required, optional


def distributions(modules: set[str]) -> set[str]:
    """The installed distributions (normalised names) that provide these top-level modules."""
    provided = packages_distributions()
    return {_name(dist) for module in modules for dist in provided[module]}


def test_the_core_dependencies_are_what_the_kit_imports_at_run_time():
    required, _ = kit_imports()
    # pytest comes only where pytest loads the plugin (the pytest11 entry point).
    assert required.pop("pytest") == {"kit/pytest_plugin.py"}
    assert PROJECT["entry-points"]["pytest11"] == {"kit.pytest_plugin": "kit.pytest_plugin"}
    assert distributions(set(required)) == _names(PROJECT["dependencies"])
    assert _names(PROJECT["dependencies"]) == {
        "django", "ipython", "traitlets", "pandas", "numpy", "plotly", "sqlparse", "asgiref"
    }  # fmt: skip


def test_what_the_kit_imports_only_if_installed_comes_with_the_png_extra():
    _, optional = kit_imports()
    assert set(optional) == {"kaleido", "choreographer", "PIL"}
    assert set(optional["kaleido"]) == {"kit/render/figures.py"}
    # Pillow keeps the PNG copies in a small palette; without it they are kaleido's own.
    assert set(optional["PIL"]) == {"kit/render/figures.py"}
    assert distributions({"PIL"}) == {"pillow"}
    assert EXTRAS["png"] == ["kaleido>=1.0", "pillow>=10.0"]
    # choreographer drives the browser for kaleido: kaleido requires it.
    assert "choreographer" in _names(requires("kaleido") or [])


def test_the_extras_hold_their_packages():
    assert {extra: _names(packages) for extra, packages in EXTRAS.items()} == {
        "lab": {"jupyterlab", "ipykernel", "django-extensions"},
        "png": {"kaleido", "pillow"},
        "notebooks": {
            "django",
            "django-debug-toolbar",
            "djangorestframework",
            "dj-database-url",
            "django-extensions",
        },
        "test": {"pytest", "pytest-django", "nbclient", "nbformat", "hypothesis", "nbconvert"},
        "browser": {"playwright"},
        "postgresql": {"psycopg"},
        "mysql": {"mysqlclient"},
        "redis": {"redis"},
    }
    assert "Django>=4.2,<6.0" in PROJECT["dependencies"]
    assert "ipykernel>=7.1" in EXTRAS["lab"]
    # The notebooks' committed outputs are Django 5.2's.
    assert "Django>=5.2" in EXTRAS["notebooks"]


def _make_variable(name: str) -> str:
    match = re.search(rf"^{name} [:?]?= (.*)$", MAKEFILE, re.M)
    assert match, name
    return match.group(1)


def test_make_lab_and_make_test_install_every_extra_in_ci():
    repo_extras = _make_variable("REPO_EXTRAS").split(",")
    assert repo_extras == ["lab", "png", "notebooks", "test"]
    ci_extras = re.search(r"^export EXTRAS=(\S+)", CI, re.M)
    assert ci_extras, "CI names the extras it adds"
    assert set(repo_extras) | set(ci_extras.group(1).split(",")) == set(EXTRAS)
    install = re.search(r"^\$\(VENV\)/\.installed-\$\(ALL_EXTRAS\):.*?\n\n", MAKEFILE, re.M | re.S)
    assert install and "pip install --quiet -e '.[$(ALL_EXTRAS)]'" in install.group(0)
    assert re.search(r"^test: install ", MAKEFILE, re.M)
    assert re.search(r"^lab: install ", MAKEFILE, re.M)


def test_the_django42_environment_gets_the_sample_apps_packages_from_the_notebooks_extra():
    # All of the notebooks extra but Django 5.2 itself and django-debug-toolbar (needs 5.2; only
    # notebook 08 uses it), with the same version ranges.
    sample_app = set(_make_variable("SAMPLE_APP_PACKAGES").split())
    assert sample_app == {
        r for r in EXTRAS["notebooks"] if _name(r) not in {"django", "django-debug-toolbar"}
    }
    assert _make_variable("DJANGO42") == "Django>=4.2,<5.0"


# The wheel ------------------------------------------------------------------------------------


def test_the_wheel_ships_the_kit_and_nothing_else(tmp_path):
    # Built from a copy that has the sample app beside the kit, as the repository does; pip's
    # isolated build takes a few seconds.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("kit", "sample_app"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "manage.py"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("django_orm_kit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"kit"}
    shipped = {name for name in names if name.startswith("kit/")}
    in_repo = {p.relative_to(REPO).as_posix() for p in (REPO / "kit").rglob("*.py")}
    assert shipped == in_repo | {"kit/py.typed"}
