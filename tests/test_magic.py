"""%%orm_profile end to end, through a real IPython shell."""

from __future__ import annotations

import pytest
from django.db import connection
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from kit.render.profile import Profile
from sample_app.blog.models import Post

pytestmark = pytest.mark.django_db


def run(shell, cell: str):
    """Run a cell; return (result, captured outputs)."""
    with capture_output() as captured:
        result = shell.run_cell(cell)
    return result, captured


def html_outputs(captured) -> list[str]:
    return [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]


def all_html(captured) -> str:
    """The HTML of every output (summary, table...) together."""
    return "".join(html_outputs(captured))


def test_profile_shows_count_times_and_the_line_of_each_query(ip_shell):
    cell = (
        "%%orm_profile -o prof\n"
        "from sample_app.blog.models import Post\n"
        "posts = list(Post.objects.order_by('pk')[:4])\n"
        "names = [post.author.username for post in posts]\n"
    )
    result, captured = run(ip_shell, cell)
    result.raise_error()
    prof = ip_shell.user_ns["prof"]
    assert isinstance(prof, Profile)
    assert prof.query_count == 5
    assert [q.line for q in prof.queries] == [3, 4, 4, 4, 4]
    html = all_html(captured)
    assert "5 queries" in html and "ms in the database" in html and "ms wall time" in html
    assert "4: names = [post.author.username for post in posts]" in html
    assert "blog_post" in html and "auth_user" in html


def test_queries_from_a_function_defined_elsewhere_name_the_cell_line(ip_shell):
    ip_shell.run_cell(
        "from sample_app.blog.models import Post\n"
        "def count_posts():\n"
        "    return Post.objects.count()\n"
    )
    result, _ = run(ip_shell, "%%orm_profile -o prof\nx = 1\ncount_posts()\n")
    result.raise_error()
    (query,) = ip_shell.user_ns["prof"].queries
    assert query.line == 3
    assert query.source_lineno == 3 and query.source_file != ip_shell.user_ns["prof"].cell_filename


def test_displaying_a_queryset_is_profiled_and_attributed_to_its_line(ip_shell):
    result, captured = run(
        ip_shell,
        "%%orm_profile -o prof\nfrom sample_app.blog.models import Post\nPost.objects.all()\n",
    )
    result.raise_error()
    (query,) = ip_shell.user_ns["prof"].queries
    assert query.line == 3
    assert "LIMIT 21" in query.sql
    # A plain IPython shell's displayhook prints; ipykernel's publishes an execute_result.
    assert "<QuerySet [<Post:" in captured.stdout


def test_cell_exception_is_reraised_after_the_partial_profile(ip_shell):
    cell = (
        "%%orm_profile -o prof\n"
        "from sample_app.blog.models import Post\n"
        "Post.objects.count()\n"
        "1 / 0\n"
    )
    result, captured = run(ip_shell, cell)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    html = all_html(captured)
    assert "1 query" in html and "stopped by ZeroDivisionError" in html
    assert ip_shell.user_ns["prof"].query_count == 1
    assert connection.execute_wrappers == []


def test_keyboard_interrupt_in_a_cell_leaves_no_hook(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile\nPost.objects.count()\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert connection.execute_wrappers == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--using replica", "Unknown database alias 'replica'"),
        ("-o 1x", "-o/--name needs a Python variable name"),
        ("--rows -3", "--rows needs a number of 0 or more"),
        ("--settings other.settings", "already set up"),
    ],
)
def test_bad_input_is_one_clear_line(ip_shell, line, message):
    result, _ = run(ip_shell, f"%%orm_profile {line}\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec).strip()
    assert connection.execute_wrappers == []


def test_rows_option_and_config_limit_the_table(ip_shell):
    ip_shell.run_line_magic("config", "OrmProfile.max_rows = 2")
    try:
        result, captured = run(
            ip_shell,
            "%%orm_profile\nfor pk in range(1, 6):\n    Post.objects.filter(pk=pk).exists()\n",
        )
        result.raise_error()
        html = all_html(captured)
        assert html.count("<tr>") == 1 + 2  # header + two queries
        assert "Showing 2 of 5 queries" in html
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.max_rows = 50")
    result, captured = run(
        ip_shell,
        "%%orm_profile --rows 1\n"
        "for pk in range(1, 4):\n    Post.objects.filter(pk=pk).exists()\n",
    )
    html = all_html(captured)
    assert "Showing 1 of 3 queries" in html


def test_output_reads_as_text_too(ip_shell):
    _, captured = run(ip_shell, "%%orm_profile\nPost.objects.count()\n")
    output = captured.outputs[0]  # the summary comes first
    assert output.data["text/plain"].startswith("1 query · ")
    assert output.data["text/markdown"].startswith("**1 query · ")


def test_unload_removes_the_magic_and_its_config(ip_shell):
    ip_shell.run_line_magic("unload_ext", "kit")
    try:
        assert "orm_profile" not in ip_shell.magics_manager.magics["cell"]
        assert not any(type(c).__name__ == "OrmProfile" for c in ip_shell.configurables)
    finally:
        ip_shell.run_line_magic("load_ext", "kit")
    assert "orm_profile" in ip_shell.magics_manager.magics["cell"]
    assert Post.objects.exists()
