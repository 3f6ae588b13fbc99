"""%%orm_profile --explain and %orm_explain end to end, through a real IPython shell."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from kit.analysis.fingerprint import sql_shape
from kit.explain import Plan
from kit.render.plans import PlanReport
from tests.spies import spy_statements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def explain_config(ip_shell):
    """Small thresholds for the tiny sample data, no PNG (2 s each); defaults back after."""
    settings = {"static_images": False, "explain_min_rows": 10, "explain_min_loops": 10}
    for name, value in settings.items():
        ip_shell.run_line_magic("config", f"OrmProfile.{name} = {value!r}")
    yield
    for name, value in {"static_images": True, "explain_min_rows": 1000}.items():
        ip_shell.run_line_magic("config", f"OrmProfile.{name} = {value!r}")
    ip_shell.run_line_magic("config", "OrmProfile.explain_min_loops = 1000")


def run(shell: Any, cell: str) -> tuple[Any, Any]:
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


REPEATED = (
    "from sample_app.blog.models import Post\n"
    "for pk in (1, 2, 3):\n"
    "    Post.objects.filter(pk=pk).first()\n"
    "Post.objects.filter(view_count__gte=1).count()\n"
)


def test_explain_runs_once_per_shape_through_its_slowest_run(ip_shell):
    with spy_statements() as spy:
        result, _ = run(ip_shell, "%%orm_profile --explain -o p\n" + REPEATED)
    result.raise_error()
    profile = ip_shell.user_ns["p"]
    assert len(profile.queries) == 4 and len(profile.plans) == 2
    lookups = [q for q in profile.queries if "LIMIT 1" in q.sql]
    (plan,) = [p for p in profile.plans if p.fingerprint == sql_shape(lookups[0].sql).fingerprint]
    slowest = max(lookups, key=lambda q: q.duration_ms)
    assert (plan.executions, plan.record_id, plan.slowest_ms) == (
        3,
        slowest.id,
        slowest.duration_ms,
    )
    assert plan.params == slowest.params
    explained = [s for s in spy.sql if any(s.endswith(q.sql) and s != q.sql for q in lookups)]
    assert len(explained) == 1


def test_explain_analyze_adds_actual_rows_and_times(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile --explain analyze -o p\n" + REPEATED)
    result.raise_error()
    plans = ip_shell.user_ns["p"].plans
    assert len(plans) == 2 and all(plan.analyzed for plan in plans)
    assert all(any(n.total_ms is not None for n in plan.nodes()) for plan in plans)
    (count,) = [p for p in plans if p.sql.upper().startswith("SELECT COUNT(")]
    assert any(n.actual_rows is not None for n in count.nodes())


def test_plans_is_an_empty_list_without_explain(ip_shell):
    result, captured = run(ip_shell, "%%orm_profile -o p\n" + REPEATED)
    result.raise_error()
    assert ip_shell.user_ns["p"].plans == [] and ip_shell.user_ns["p"].explain_errors == []
    html = [output.data.get("text/html", "") for output in captured.outputs]
    # summary, timeline, table (two query shapes: no charts); no plan report, no plan figure
    assert len(html) == 3
    assert not any("Query plans" in text for text in html)


def test_output_has_a_plain_html_plan_section_and_the_figure(ip_shell):
    result, captured = run(ip_shell, "%%orm_profile --explain\n" + REPEATED)
    result.raise_error()
    *_, plans_output, figure_output = captured.outputs  # after the profile's own outputs
    html = plans_output.data["text/html"]
    assert "<h4>Query plans</h4>" in html and "<pre style=" in html and "Plan 2 of 2" in html
    assert "<script" not in html and "class=" not in html
    assert "Plan 1 of 2" in plans_output.data["text/plain"]
    data = figure_output.data
    assert {"application/vnd.plotly.v1+json", "text/html", "text/plain"} <= set(data)
    assert "image/png" not in data  # OrmProfile.static_images = False
    assert len(data["application/vnd.plotly.v1+json"]["data"]) == 2


def test_findings_appear_in_the_html_list(ip_shell):
    cell = (
        "%%orm_profile --explain -o p\n"
        "from sample_app.blog.models import Post\n"
        "list(Post.objects.filter(view_count__gte=1).order_by('-created_at'))\n"
    )
    result, captured = run(ip_shell, cell)
    result.raise_error()
    (plan,) = ip_shell.user_ns["p"].plans
    assert plan.findings, plan
    html = captured.outputs[-2].data["text/html"]
    assert "<ul><li>" in html and plan.findings[0].kind in html


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--explain bogus", "argument --explain: invalid choice: 'bogus'"),
        ("--explain plain --explain=analyzed", "invalid choice: 'analyzed'"),
    ],
)
def test_bad_explain_option_is_one_clear_line(ip_shell, line, message):
    result, _ = run(ip_shell, f"%%orm_profile {line}\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec).strip()


def test_orm_explain_explains_without_evaluating_the_queryset(ip_shell):
    ip_shell.run_cell(
        "from sample_app.blog.models import Post\n"
        "qs = Post.objects.filter(view_count__gte=1).order_by('-created_at')\n"
    )
    queryset = ip_shell.user_ns["qs"]
    sql = queryset.query.get_compiler(queryset.db).as_sql()[0]
    with spy_statements() as spy:
        result, captured = run(ip_shell, "report = %orm_explain qs")
    result.raise_error()
    assert queryset._result_cache is None
    assert sql not in spy.sql  # the SELECT itself never ran
    assert [s for s in spy.sql if s.endswith(sql)] != []  # only under EXPLAIN
    report = ip_shell.user_ns["report"]
    assert isinstance(report, PlanReport) and isinstance(report.plan, Plan)
    assert report.plan.executions == 0 and not report.plan.analyzed
    assert "application/vnd.plotly.v1+json" in captured.outputs[0].data


def test_orm_explain_explains_the_expression_exactly_as_written(ip_shell):
    """IPython's parse_options, as %timeit's: the flag is read, the expression kept verbatim
    (runs of spaces inside a string are the user's data, not separators)."""
    result, _ = run(
        ip_shell,
        "from sample_app.blog.models import Post\n"
        'report = %orm_explain --analyze Post.objects.filter(title="a   b",  view_count__gte=1)',
    )
    result.raise_error()
    plan = ip_shell.user_ns["report"].plan
    assert plan.analyzed
    assert "a   b" in plan.params


def test_orm_explain_a_flag_after_the_expression_says_where_it_goes(ip_shell):
    result, _ = run(
        ip_shell,
        "from sample_app.blog.models import Post\n"
        "report = %orm_explain Post.objects.filter(view_count__gte=1) --analyze",
    )
    assert isinstance(result.error_in_exec, UsageError)
    assert "put --analyze before the expression" in str(result.error_in_exec)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%orm_explain", "needs a QuerySet expression"),
        ("%orm_explain 6 * 7", "needs a QuerySet, but 6 * 7 is a int."),
        ("%orm_explain Post.objects", "is a Manager. Try Post.objects.all()."),
        ("%orm_explain --analyze --whatif Post.objects.all()", "Choose one of"),
    ],
)
def test_orm_explain_usage_errors(ip_shell, line, message):
    ip_shell.run_cell("from sample_app.blog.models import Post")
    result, _ = run(ip_shell, line)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)


def test_orm_explain_of_a_queryset_that_matches_nothing(ip_shell):
    result, _ = run(
        ip_shell,
        "from sample_app.blog.models import Post\n"
        "report = %orm_explain Post.objects.filter(pk__in=[])",
    )
    result.raise_error()
    report = ip_shell.user_ns["report"]
    assert report.plan is None and "can match no row" in report.error.message


def whatif_indexes() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.get_constraints(cursor, "blog_post")
    return [name for name in names if name.startswith("kit_whatif")]


def test_whatif_tries_each_suggested_index_and_leaves_none(ip_shell):
    with spy_statements() as spy:
        result, _ = run(
            ip_shell,
            "from sample_app.blog.models import Post\n"
            "report = %orm_explain --whatif Post.objects.filter(slug='no-such-slug')",
        )
    result.raise_error()
    plan = ip_shell.user_ns["report"].plan
    (whatif,) = plan.whatifs
    assert whatif.index.code == "models.Index(fields=['slug'])"
    if connection.vendor == "mysql":
        assert whatif.error is not None and "commits the transaction" in whatif.error
        assert whatif.after is None
        assert not any("CREATE INDEX" in s.upper() for s in spy.sql)
    else:
        assert whatif.error is None and whatif.uses_index
        assert whatif.create_sql.startswith("CREATE INDEX")
        assert any(n.index and n.index.startswith("kit_whatif") for n in whatif.after.nodes())
        if connection.vendor == "postgresql":
            assert whatif.cost_after < whatif.cost_before
    assert whatif_indexes() == []
    assert "What if models.Index(fields=['slug']) on Post" in repr(ip_shell.user_ns["report"])


def test_explain_whatif_in_the_cell_magic(ip_shell):
    result, _ = run(
        ip_shell,
        "%%orm_profile --explain whatif -o p\n"
        "from sample_app.blog.models import Post\n"
        "list(Post.objects.filter(slug='no-such-slug'))\n",
    )
    result.raise_error()
    (plan,) = ip_shell.user_ns["p"].plans
    assert [w.index.fields for w in plan.whatifs] == [("slug",)]
    assert whatif_indexes() == []


def test_unload_removes_orm_explain(ip_shell):
    ip_shell.run_line_magic("unload_ext", "kit")
    try:
        assert "orm_explain" not in ip_shell.magics_manager.magics["line"]
    finally:
        ip_shell.run_line_magic("load_ext", "kit")
    assert "orm_explain" in ip_shell.magics_manager.magics["line"]


def test_readme_documents_the_explain_options():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    explain = readme[readme.index("### EXPLAIN") :]
    for text in ("`--explain analyze`", "`--explain whatif`", "%orm_explain", "p.plans"):
        assert text in explain
    assert "rolled back" in explain and "statement" in explain and "timeout" in explain


def test_a_failing_cell_is_explained_but_an_interrupted_one_is_not(ip_shell):
    cell = "%%orm_profile --explain\nfrom sample_app.blog.models import Post\n"
    cell += "Post.objects.count()\n"
    result, captured = run(ip_shell, cell + "1 / 0\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert "stopped by ZeroDivisionError" in html and "Plan 1 of 1" in html
    result, captured = run(ip_shell, cell + "raise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert "1 query" in html and "Query plans" not in html  # the profile, and no plan at all
    assert not any("Plan 1" in o.data.get("text/plain", "") for o in captured.outputs)
