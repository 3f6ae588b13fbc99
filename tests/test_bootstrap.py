"""Finding and configuring Django: explicit settings, the environment, manage.py, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kit
from kit.bootstrap import find_manage_py, locate_settings, settings_from_manage_py

REPO = Path(__file__).resolve().parent.parent


def write_manage_py(folder: Path, module: str = "mysite.settings") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "manage.py"
    path.write_text(
        "import os, sys\n"
        f"os.environ.setdefault('DJANGO_SETTINGS_MODULE', '{module}')\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    return path


def test_manage_py_is_found_upward_and_read_without_running_it(tmp_path):
    manage_py = write_manage_py(tmp_path)
    deep = tmp_path / "notebooks" / "chapter"
    deep.mkdir(parents=True)
    assert find_manage_py(deep) == manage_py
    assert settings_from_manage_py(manage_py) == "mysite.settings"


def test_explicit_settings_win_then_environment_then_manage_py(tmp_path, monkeypatch):
    write_manage_py(tmp_path)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "from_env.settings")
    assert locate_settings("explicit.settings", tmp_path) == ("explicit.settings", tmp_path)
    assert locate_settings(None, tmp_path) == ("from_env.settings", tmp_path)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    assert locate_settings(None, tmp_path) == ("mysite.settings", tmp_path)


def test_no_project_found_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    with pytest.raises(kit.DjangoSetupError, match=r"No Django project found.*--settings"):
        locate_settings(None, tmp_path)


def test_manage_py_without_settings_is_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    (tmp_path / "manage.py").write_text("print('hello')\n")
    with pytest.raises(kit.DjangoSetupError, match="does not set DJANGO_SETTINGS_MODULE"):
        locate_settings(None, tmp_path)


def test_setup_again_is_harmless_but_switching_settings_is_refused():
    assert kit.setup() == "tests.settings"
    assert kit.setup("tests.settings") == "tests.settings"
    with pytest.raises(kit.DjangoSetupError, match="restart the kernel"):
        kit.setup("other.settings")


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fresh_process_in_notebooks_folder_finds_the_sample_project():
    done = run_python(
        """
        import kit
        print(kit.setup())
        from sample_app.blog.models import Post
        print(Post._meta.db_table)
        """,
        cwd=REPO / "notebooks",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["sample_app.settings", "blog_post"]


def test_settings_module_that_does_not_import_is_one_line(tmp_path):
    done = run_python(
        """
        import kit
        try:
            kit.setup("nowhere.settings")
        except kit.DjangoSetupError as exc:
            print(exc)
        """,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Settings module 'nowhere.settings' could not be imported")
    assert done.stdout.count("\n") == 1


USER_SETTINGS = """
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.contenttypes"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
"""

MAGIC_IN_OWN_PROJECT = """
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "kit")
result = shell.run_cell(
    "%%orm_profile {option} -o p\\n"
    "from django.db import connection\\n"
    "with connection.cursor() as cursor:\\n"
    "    cursor.execute('SELECT 1')\\n"
)
result.raise_error()
p = shell.user_ns["p"]
print(p.query_count, p.queries[0].line, p.queries[0].vendor)
"""


@pytest.mark.parametrize("how", ["--settings", "DJANGO_SETTINGS_MODULE"])
def test_magic_works_on_a_users_own_project(tmp_path, how):
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(USER_SETTINGS)
    option = "--settings mysite.settings" if how == "--settings" else ""
    env = {"DJANGO_SETTINGS_MODULE": "mysite.settings"} if option == "" else {}
    done = run_python(MAGIC_IN_OWN_PROJECT.replace("{option}", option), cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["1", "4", "sqlite"]


LOAD_THEN_IMPORT = """
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_cell("%load_ext kit").raise_error()
result = shell.run_cell("from sample_app.blog.models import Post\\nprint(Post._meta.db_table)")
print("error:", type(result.error_in_exec).__name__)
"""


def test_load_ext_sets_django_up_before_the_next_cell():
    done = run_python(LOAD_THEN_IMPORT, cwd=REPO / "notebooks")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["blog_post", "error:", "NoneType"]


def test_load_ext_outside_a_project_says_how_to_set_django_up(tmp_path):
    # The models import (sample_app is not installed: the repository is on the path), but no
    # project is found from tmp_path, so Django is not configured when they do.
    done = run_python(LOAD_THEN_IMPORT, cwd=tmp_path, PYTHONPATH=str(REPO))
    assert done.returncode == 0, done.stderr
    assert "kit: No Django project found" in done.stderr
    assert "--settings" in done.stderr
    assert done.stdout.splitlines()[-1] == "error: ImproperlyConfigured"
