"""Bad input to the magics is one UsageError line, never a traceback (issue 17, point 7)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from tests.test_bootstrap import run_python

pytestmark = pytest.mark.django_db


def run(shell, cell: str):
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


def one_line_usage_error(result) -> str:
    error = result.error_in_exec
    assert type(error) is UsageError, repr(error)
    message = str(error)
    assert "\n" not in message.strip()
    # No chained traceback: the error was raised `from None` (or had no cause to chain).
    assert (error.__cause__ is None and error.__suppress_context__) or error.__context__ is None
    return message


@pytest.mark.parametrize(
    "name", ["get_ipython", "print", "list", "In", "Out", "exit", "quit", "_", "_5", "_i3", "_oh"]
)
def test_names_of_python_or_ipython_are_refused_for_o(ip_shell, name):
    before = ip_shell.user_ns.get(name, "absent")
    result, _ = run(ip_shell, f"%%orm_profile -o {name}\nx = 1\n")
    message = one_line_usage_error(result)
    assert f"-o/--name {name}: {name!r} is" in message and "choose another" in message
    assert ip_shell.user_ns.get(name, "absent") is before
    # The shell still works: get_ipython and the magic itself were not shadowed.
    result, _ = run(ip_shell, "%%orm_profile -o fine\nx = 2\n")
    result.raise_error()
    assert ip_shell.user_ns["fine"].query_count == 0


def test_a_name_of_the_users_own_is_accepted(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile -o posts_before\nx = 1\n")
    result.raise_error()
    assert "posts_before" in ip_shell.user_ns


@pytest.mark.parametrize("line", ['"unterminated', "-o 'p", '--using "default'])
def test_an_unbalanced_quote_is_one_line(ip_shell, line):
    result, _ = run(ip_shell, f"%%orm_profile {line}\nx = 1\n")
    message = one_line_usage_error(result)
    assert "Could not read the options" in message and "No closing quotation" in message
    assert connection.execute_wrappers == []


@pytest.mark.parametrize(
    ("setting", "value", "default"),
    [
        ("record_cap", -1, 10_000),
        ("max_rows", -5, 50),
        ("timeline_detail_limit", -1, 5_000),
        ("explain_timeout_ms", 0, 10_000),
        ("explain_min_rows", -1, 1_000),
        ("explain_min_loops", -1, 1_000),
    ],
)
def test_config_refuses_values_below_the_minimum_in_one_line(
    ip_shell, caplog, setting, value, default
):
    before = ip_shell.run_line_magic("config", f"OrmProfile.{setting}")
    with caplog.at_level(logging.ERROR):
        ip_shell.run_line_magic("config", f"OrmProfile.{setting} = {value}")
    assert ip_shell.run_line_magic("config", f"OrmProfile.{setting}") == before
    (record,) = [r for r in caplog.records if setting in r.getMessage()]
    message = record.getMessage()
    assert f"OrmProfile.{setting} must be" in message and f"not {value}" in message
    assert "\n" not in message and record.exc_info is None
    assert f"%config OrmProfile.{setting} = {default}" in message
    # IPython kept the refused value in the shell's config: loading the kit again drops it.
    ip_shell.run_line_magic("reload_ext", "kit")
    assert ip_shell.run_line_magic("config", f"OrmProfile.{setting}") == default
    ip_shell.run_line_magic("config", "OrmProfile.static_images = False")


def test_config_still_takes_good_values(ip_shell):
    ip_shell.run_line_magic("config", "OrmProfile.record_cap = 0")
    try:
        result, _ = run(
            ip_shell,
            "%%orm_profile -o capped\n"
            "from sample_app.blog.models import Post\n"
            "Post.objects.count()\n",
        )
        result.raise_error()
        capped = ip_shell.user_ns["capped"]
        assert capped.query_count == 1 and capped.queries == []
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.record_cap = 10000")


def test_orm_explain_with_an_unknown_alias_is_one_line(ip_shell):
    ip_shell.run_cell("from sample_app.blog.models import Post")
    with pytest.raises(UsageError) as raised:
        ip_shell.run_line_magic("orm_explain", 'Post.objects.using("nope")')
    message = str(raised.value)
    assert "Unknown database alias 'nope'" in message and "'default'" in message
    assert "\n" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


SETTINGS_THAT_RAISE = """
import os
SECRET_KEY = os.environ["KIT_TEST_SECRET_THAT_IS_NOT_SET"]
"""

MAGIC_WITH_BROKEN_SETTINGS = """
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "kit")
result = shell.run_cell("%%orm_profile --settings broken_settings\\nx = 1\\n")
error = result.error_in_exec
print(type(error).__name__)
print(error)
"""


def test_a_settings_module_that_raises_on_import_is_one_line(tmp_path):
    (tmp_path / "broken_settings.py").write_text(SETTINGS_THAT_RAISE)
    done = run_python(MAGIC_WITH_BROKEN_SETTINGS, cwd=tmp_path, PYTHONPATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    kind, message = done.stdout.splitlines()
    assert kind == "UsageError"
    assert message.startswith("Settings module 'broken_settings' raised KeyError:")
    assert "KIT_TEST_SECRET_THAT_IS_NOT_SET" in message
    assert "broken_settings.py, line 3" in message
    assert "Traceback" not in done.stderr
