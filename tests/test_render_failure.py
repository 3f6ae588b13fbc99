"""A failure of the kit's own rendering never hides the user's cell (issue 17, point 4).

A renderer is monkeypatched to raise: the cell's own exception still comes out (or the cell
succeeds), -o NAME keeps the profile, the budget is still enforced, and one line says the kit
could not render and how to report it.
"""

from __future__ import annotations

import pytest
from django.db import connection
from IPython.utils.capture import capture_output

import kit.render.outputs
from kit.profiles.profile import Profile
from kit.render.budget import BudgetExceeded

pytestmark = pytest.mark.django_db

CELL = (
    "%%orm_profile -o broken{options}\n"
    "from sample_app.blog.models import Post\n"
    "Post.objects.count()\n"
)


class RendererBug(RuntimeError):
    pass


@pytest.fixture
def broken_renderer(monkeypatch):
    """render_findings (the summary's HTML) raises, as a bug in the kit would."""

    def boom(*args, **kwargs):
        raise RendererBug("renderer exploded\nsecond line")

    monkeypatch.setattr(kit.render.outputs, "render_findings", boom)


def run(shell, cell: str):
    shell.user_ns.pop("broken", None)
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


def kit_lines(captured) -> list[str]:
    return [line for line in captured.stderr.splitlines() if line.startswith("kit:")]


def test_a_cell_that_works_still_works_and_keeps_its_profile(ip_shell, broken_renderer):
    result, captured = run(ip_shell, CELL.format(options=""))
    assert result.error_in_exec is None
    assert isinstance(ip_shell.user_ns["broken"], Profile)
    assert ip_shell.user_ns["broken"].query_count == 1
    (line,) = kit_lines(captured)
    assert "could not render this profile (RendererBug: renderer exploded)" in line
    assert "kept as broken" in line and "please report it" in line
    assert "broken.save('profile.json', redact_params=True)" in line
    assert "Traceback" not in captured.stdout + captured.stderr
    assert connection.execute_wrappers == []


def test_the_cells_own_exception_wins(ip_shell, broken_renderer):
    result, captured = run(ip_shell, CELL.format(options="") + "1 / 0\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert ip_shell.user_ns["broken"].query_count == 1
    assert len(kit_lines(captured)) == 1


def test_the_budget_is_still_enforced(ip_shell, broken_renderer):
    result, captured = run(ip_shell, CELL.format(options=" --max-queries 0"))
    assert isinstance(result.error_in_exec, BudgetExceeded)
    assert "1 query (max 0)" in str(result.error_in_exec)
    assert ip_shell.user_ns["broken"].query_count == 1
    assert len(kit_lines(captured)) == 1


def test_without_a_name_the_line_says_how_to_keep_one(ip_shell, broken_renderer):
    result, captured = run(ip_shell, CELL.format(options="").replace(" -o broken", ""))
    assert result.error_in_exec is None
    (line,) = kit_lines(captured)
    assert "re-run with -o NAME" in line


def test_without_the_bug_the_outputs_are_as_before(ip_shell):
    result, captured = run(ip_shell, CELL.format(options=""))
    assert result.error_in_exec is None
    assert kit_lines(captured) == []
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert "1 query" in html
