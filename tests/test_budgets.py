"""Query budgets: --max-queries, --max-duplicates, --no-n-plus-one, and the orm_budget fixture."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from nbclient.exceptions import CellExecutionError

import kit
from kit.analysis.budget import Budget
from kit.render.budget import BudgetExceeded, budget_violations, offenders, violation_text
from sample_app.blog.models import Post
from tests.kernels import SAMPLE_PROJECT_ON_PATH, execute_notebook
from tests.profiles import fixed_profile, n_plus_one_profile

REPO = Path(__file__).resolve().parent.parent

LOOP = (
    "from sample_app.blog.models import Post\n"
    "names = [p.author.username for p in Post.objects.order_by('pk')[:5]]\n"
)
TWICE = "Post.objects.filter(pk=1).exists()\nPost.objects.filter(pk=1).exists()\n"


def run(shell, cell: str):
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured.outputs


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (Budget(max_queries=3), "6 queries (max 3)"),
        (Budget(n_plus_one=False), "1 N+1 group (none allowed)"),
        (Budget(max_queries=6, max_duplicates=0, n_plus_one=True), None),
    ],
)
def test_check_budget(budget, message):
    violations = budget_violations(n_plus_one_profile(posts=4), budget)
    assert [violation_text(v) for v in violations] == ([message] if message else [])


def test_budget_exceeded_is_an_assertion_error_with_the_numbers_on_one_line():
    violations = budget_violations(n_plus_one_profile(posts=4), Budget(3, 0, n_plus_one=False))
    error = BudgetExceeded(violations, detail=False)
    assert isinstance(error, AssertionError)
    assert str(error) == "Query budget exceeded: 6 queries (max 3); 1 N+1 group (none allowed)."


def test_detail_lists_the_offending_queries():
    profile = n_plus_one_profile(posts=4)
    violations = budget_violations(profile, Budget(3, n_plus_one=False))
    lines = str(BudgetExceeded(violations, offenders=offenders(profile))).splitlines()
    assert lines[1] == "queries:"
    assert lines[2].startswith('  4× SELECT "auth_user"."id"') and lines[2].endswith(
        "(cell lines 3)"
    )
    assert lines[-2] == "N+1 groups:"
    assert lines[-1].startswith('  4× SELECT "auth_user"."id"')
    assert lines[-1].endswith("from auth_user, line 3")


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="max_queries must be 0 or more"):
        Budget(max_queries=-1)
    assert budget_violations(fixed_profile(), Budget(max_queries=3)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "cell", "message"),
    [
        ("--max-queries 3", LOOP, "Query budget exceeded: 6 queries (max 3)."),
        ("--max-duplicates 0", TWICE, "Query budget exceeded: 1 duplicate query (max 0)."),
        ("--no-n-plus-one", LOOP, "Query budget exceeded: 1 N+1 group (none allowed)."),
    ],
)
def test_a_broken_budget_fails_the_cell_after_showing_the_profile(
    ip_shell, options, cell, message
):
    ip_shell.user_ns.pop("kept", None)
    result, outputs = run(ip_shell, f"%%orm_profile -o kept {options}\n{cell}")
    assert isinstance(result.error_in_exec, BudgetExceeded)
    assert str(result.error_in_exec) == message
    assert outputs[0].data["text/plain"].startswith("kept: ")  # the profile came first
    assert isinstance(ip_shell.user_ns["kept"], kit.Profile)  # and was kept for a look


@pytest.mark.django_db
def test_a_kept_budget_passes(ip_shell):
    result, _ = run(ip_shell, f"%%orm_profile --max-queries 6 --max-duplicates 4 --quiet\n{LOOP}")
    result.raise_error()


@pytest.mark.django_db
def test_the_cells_own_error_comes_before_the_budget(ip_shell):
    result, _ = run(ip_shell, f"%%orm_profile --max-queries 0\n{LOOP}1 / 0\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)


@pytest.mark.django_db
def test_a_negative_option_is_one_clear_line(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile --max-duplicates -1\nran = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec) == "--max-duplicates needs a number of 0 or more, not -1."


@pytest.mark.django_db
def test_orm_budget_fixture_passes_within_budget(orm_budget):
    with orm_budget(max_queries=1) as profile:
        Post.objects.count()
    assert profile.query_count == 1


@pytest.mark.django_db
def test_orm_budget_fixture_fails_listing_the_queries(orm_budget):
    line = inspect.currentframe().f_lineno + 6
    with (
        pytest.raises(BudgetExceeded) as caught,
        orm_budget(max_queries=10, n_plus_one=False),
    ):
        for post in Post.objects.order_by("pk")[:4]:
            post.author.username  # noqa: B018
    message = str(caught.value)
    assert message.splitlines()[0] == "Query budget exceeded: 1 N+1 group (none allowed)."
    assert f"from blog.Post.author, test_budgets.py:{line}" in message
    assert "fix: Post.objects.order_by(\"pk\").select_related('author')[:4]" in message


@pytest.mark.django_db
def test_query_budget_works_in_scripts_too():
    with pytest.raises(BudgetExceeded, match=r"2 queries \(max 1\)"), kit.query_budget(1):
        Post.objects.count()
        Post.objects.exists()


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (module,) = project["entry-points"]["pytest11"].values()
    assert module == "kit.pytest_plugin"
    plugin = __import__(module, fromlist=["orm_budget"])
    assert callable(plugin.orm_budget)


@pytest.mark.notebook
@pytest.mark.django_db
def test_a_broken_budget_fails_a_notebook_run(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext kit"),
            nbformat.v4.new_code_cell(
                "%%orm_profile --settings sample_app.settings --max-queries 2 --quiet\n" + LOOP
            ),
        ]
    )
    path = tmp_path / "budget.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(CellExecutionError, match=r"BudgetExceeded.*6 queries \(max 2\)"):
        execute_notebook(path, env=SAMPLE_PROJECT_ON_PATH)
