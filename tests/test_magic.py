"""%%orm_profile end to end, through a real IPython shell."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from kit.profiles.profile import Profile
from sample_app.blog.models import Comment, Post

pytestmark = pytest.mark.django_db


def run(shell, cell: str):
    """Run a cell; return (result, captured outputs). No profile of an earlier test is left."""
    shell.user_ns.pop("prof", None)
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
    defined_in = ip_shell.execution_count
    ip_shell.run_cell(
        "from sample_app.blog.models import Post\n"
        "def count_posts():\n"
        "    return Post.objects.count()\n",
        store_history=True,  # as a notebook runs it: the next cell gets the next number
    )
    assert ip_shell.execution_count == defined_in + 1
    result, captured = run(ip_shell, "%%orm_profile -o prof\nx = 1\ncount_posts()\n")
    result.raise_error()
    prof = ip_shell.user_ns["prof"]
    (query,) = prof.queries
    assert query.line == 3
    assert query.source_lineno == 3 and query.source_file != prof.cell_filename
    # IPython's name for the other cell's code, as its tracebacks say "Cell In[n]".
    assert prof.cell_numbers == {query.source_file: defined_in}
    html = all_html(captured)
    assert f"cell [{defined_in}], line 3" in html
    assert query.source_file.rsplit("/", 1)[-1] not in html


def test_displaying_a_queryset_is_profiled_and_attributed_to_its_line(ip_shell):
    result, captured = run(
        ip_shell,
        "%%orm_profile -o prof\nfrom sample_app.blog.models import Post\nPost.objects.all()\n",
    )
    result.raise_error()
    (query,) = ip_shell.user_ns["prof"].queries
    assert query.line == 3
    assert "LIMIT 21" in query.sql
    assert query.trigger == "repr"
    (finding,) = ip_shell.user_ns["prof"].findings
    assert (finding.kind, finding.severity, finding.line) == ("repr", "info", 3)
    # A plain IPython shell's displayhook prints; ipykernel's publishes an execute_result.
    assert "<QuerySet [<Post:" in captured.stdout


def test_cell_exception_is_reraised_after_the_partial_profile(ip_shell):
    cell = (
        "%%orm_profile -o partial\n"
        "from sample_app.blog.models import Post\n"
        "Post.objects.count()\n"
        "1 / 0\n"
    )
    ip_shell.user_ns.pop("partial", None)
    result, captured = run(ip_shell, cell)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    html = all_html(captured)
    assert "1 query" in html and "stopped by ZeroDivisionError" in html
    assert ip_shell.user_ns["partial"].query_count == 1
    assert connection.execute_wrappers == []


def test_keyboard_interrupt_in_a_cell_leaves_no_hook(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile\nPost.objects.count()\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert connection.execute_wrappers == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--explian", "unrecognized arguments: --explian: did you mean --explain?"),
        ("--no-timelines", "did you mean --no-timeline?"),
        ("--using replica", "Unknown database alias 'replica'"),
        ("-o 1x", "-o/--name needs a Python variable name"),
        ("--rows -3", "--rows needs a number of 0 or more"),
        ("--threshold 1", "--threshold must be 2 or more, not 1."),
        ("--threshold many", "argument --threshold: invalid int value: 'many'"),
        ("--settings other.settings", "already set up"),
    ],
)
def test_bad_input_is_one_clear_line(ip_shell, line, message):
    result, _ = run(ip_shell, f"%%orm_profile {line}\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec).strip()
    assert connection.execute_wrappers == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--analyse Post.objects.all()", "unknown option --analyse: did you mean --analyze?"),
        ("--verbose Post.objects.all()", "unknown option --verbose. Usage"),
        ("--whatiff Post.objects.all()", "did you mean --whatif?"),
    ],
)
def test_orm_explain_suggests_the_nearest_option(ip_shell, line, message):
    with pytest.raises(UsageError, match="Usage: %orm_explain") as raised:
        ip_shell.run_line_magic("orm_explain", line)
    assert message in str(raised.value)


def test_the_table_has_one_row_per_query_shape_unfolding_to_its_queries(ip_shell):
    result, captured = run(
        ip_shell,
        "%%orm_profile\nfor pk in range(1, 7):\n    Post.objects.filter(pk=pk).exists()\n"
        "Post.objects.count()\n",
    )
    result.raise_error()
    table = captured.outputs[-1].data["text/html"]
    # Two shapes, the costlier first: six exists() from line 3, one count() from line 4.
    labels = re.findall(r'<tr><td style="[^"]*">(#\d+ [^<]+)</td>', table)
    assert labels == ["#1 SELECT blog_post", "#2 SELECT blog_post"]
    assert ">6</td>" in table and "line 3: Post.objects.filter(pk=pk).exists()" in table
    # Unfolding a shape lists its queries, with their params, under its SQL.
    # The six exists() unfold to their five slowest (which five depends on timing), each with
    # its params; the count() to its one query.
    assert table.count("<details><summary>") == 2 and "Its queries:" in table
    assert "Its slowest queries (1 more not listed):" in table
    listed = {int(pk) for pk in re.findall(r">\((?:[^,<]+, )?(\d),?\)</td>", table)}
    assert len(listed) == 5 and listed <= set(range(1, 7))
    assert "--rows N lists the N slowest one by one" in table
    # The text copy is the same short table, no markdown copy of it.
    text = captured.outputs[-1].data["text/plain"]
    assert text.splitlines()[0].split() == ["shape", "queries", "total", "ms", "max", "ms",
                                            "lines", "SQL"]  # fmt: skip
    assert "text/markdown" not in captured.outputs[-1].data


def test_rows_option_lists_the_slowest_queries_one_by_one(ip_shell):
    result, captured = run(
        ip_shell,
        "%%orm_profile --rows 2\n"
        "for pk in range(1, 6):\n    Post.objects.filter(pk=pk).exists()\n",
    )
    result.raise_error()
    html = captured.outputs[-1].data["text/html"]
    assert html.count("<tr>") == 1 + 2  # header + two queries
    assert "Showing the 2 slowest of 5 queries" in html
    times = [
        float(t)
        for t in re.findall(
            r'text-align:right;vertical-align:top">([\d.]+)</td><td style="text-align:left', html
        )
    ]
    assert times == sorted(times, reverse=True) and len(times) == 2
    prof_rows = ip_shell.user_ns.get("_")  # the cell kept no name: nothing else to check
    del prof_rows


def test_max_rows_config_limits_the_shapes_listed(ip_shell):
    ip_shell.run_line_magic("config", "OrmProfile.max_rows = 1")
    try:
        result, captured = run(
            ip_shell, "%%orm_profile\nPost.objects.count()\nPost.objects.exists()\n"
        )
        result.raise_error()
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.max_rows = 50")
    html = captured.outputs[-1].data["text/html"]
    assert "Showing the 1 costliest of 2 query shapes" in html


def test_output_reads_as_text_too(ip_shell):
    _, captured = run(ip_shell, "%%orm_profile\nPost.objects.count()\n")
    output = captured.outputs[0]  # the summary comes first
    assert output.data["text/plain"].startswith("1 query · ")
    assert "<strong>1 query · " in output.data["text/html"]


def test_unload_removes_the_magic_and_its_config(ip_shell):
    ip_shell.run_line_magic("unload_ext", "kit")
    try:
        assert "orm_profile" not in ip_shell.magics_manager.magics["cell"]
        assert not any(type(c).__name__ == "OrmProfile" for c in ip_shell.configurables)
    finally:
        ip_shell.run_line_magic("load_ext", "kit")
    assert "orm_profile" in ip_shell.magics_manager.magics["cell"]
    assert Post.objects.exists()


PART1_CELL = (
    "%%orm_profile -o prof{options}\n"
    "from sample_app.blog.models import Post\n"
    "for post in Post.objects.all():\n"
    "    post.author.username, post.category.name\n"
    "    for comment in post.comments.all():\n"
    "        comment.user.username\n"
)
PART1_FIX = (
    "Post.objects.select_related(&#x27;author&#x27;, &#x27;category&#x27;)"
    ".prefetch_related(Prefetch(&#x27;comments&#x27;, "
    "queryset=Comment.objects.select_related(&#x27;user&#x27;)))"
)


def test_findings_list_comes_above_the_query_table_and_into_p_findings(ip_shell):
    result, captured = run(ip_shell, PART1_CELL.format(options=""))
    result.raise_error()
    html = all_html(captured)  # the summary with its findings comes first, the table last
    assert html.index("Findings, worst first:") < html.index("<ul>") < html.index("<table>")
    assert f">{PART1_FIX}</code></pre>" in html
    assert "Post.author (foreign key)" in html and "Comment.user (foreign key)" in html
    # Plain HTML: no script, no classes; styles only align text (JupyterLab's stylesheet).
    assert "<script" not in html and "class=" not in html
    (finding,) = ip_shell.user_ns["prof"].findings
    assert finding.kind == "n_plus_one"
    assert finding.line == 3
    assert "queries load related objects" in finding.message
    assert "queryset of line 3" in finding.message and "N+1" not in finding.message
    assert finding.suggestion == PART1_FIX.replace("&#x27;", "'")
    summary = captured.outputs[0]
    text = summary.data["text/plain"]
    assert text.splitlines()[1] == "Findings, worst first:"
    assert text.splitlines()[2].startswith("- [high · N+1] ") and "N+1: " not in text
    assert f"    {finding.suggestion}" in text.splitlines()
    assert set(summary.data) == {"text/html", "text/plain"}  # no third copy in markdown
    assert captured.outputs[-1].data["text/plain"].startswith("shape ")  # the table comes last


def n_plus_one_relations(shell) -> list[str]:
    return [str(g.relation) for g in shell.user_ns["prof"].n_plus_one]


def test_threshold_option_and_config_decide_what_is_an_n_plus_one(ip_shell):
    # Per post: one author, category and comments query; per comment one user query.
    posts, comments = Post.objects.count(), Comment.objects.count()
    assert comments > posts + 1
    result, _ = run(ip_shell, PART1_CELL.format(options=f" --threshold {posts + 1}"))
    result.raise_error()
    assert ip_shell.user_ns["prof"].threshold == posts + 1
    assert n_plus_one_relations(ip_shell) == ["blog.Comment.user"]
    ip_shell.run_line_magic("config", f"OrmProfile.threshold = {comments + 1}")
    try:
        result, _ = run(ip_shell, PART1_CELL.format(options=""))
        result.raise_error()
        assert n_plus_one_relations(ip_shell) == []
        assert "n_plus_one" not in {f.kind for f in ip_shell.user_ns["prof"].findings}
        result, _ = run(ip_shell, PART1_CELL.format(options=f" --threshold {posts}"))
        result.raise_error()
        assert len(n_plus_one_relations(ip_shell)) == 4
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.threshold = 3")
    result, _ = run(ip_shell, PART1_CELL.format(options=""))
    assert len(n_plus_one_relations(ip_shell)) == 4


def test_config_refuses_a_threshold_below_two(ip_shell):
    ip_shell.run_line_magic("config", "OrmProfile.threshold = 1")
    assert ip_shell.run_line_magic("config", "OrmProfile.threshold") == 3


def test_part2_in_a_cell_names_the_cell_line_and_the_better_call(ip_shell):
    cell = (
        "%%orm_profile -o prof\n"
        "from sample_app.blog.models import Post\n"
        "posts = Post.objects.all()\n"
        "if posts:  # evaluates the entire queryset\n"
        "    print('Posts exist')\n"
    )
    result, _ = run(ip_shell, cell)
    result.raise_error()
    (finding,) = ip_shell.user_ns["prof"].findings
    assert (finding.kind, finding.line) == ("bool", 4)
    assert finding.message.startswith(
        "Line 4: `if posts:  # evaluates the entire queryset` loads every matching row"
    )
    assert finding.suggestion == "if posts.exists():  # evaluates the entire queryset"


def test_to_dataframe_has_one_row_per_query_with_groups(ip_shell):
    result, _ = run(ip_shell, PART1_CELL.format(options=""))
    result.raise_error()
    prof = ip_shell.user_ns["prof"]
    frame = prof.to_dataframe()
    assert len(frame) == prof.query_count
    assert list(frame.index[:2]) == [1, 2]
    for column in ("fingerprint", "tables", "kind", "trigger", "n_plus_one_group"):
        assert column in frame.columns
    assert frame.loc[1, "trigger"] == "iteration" and frame.loc[1, "tables"] == ("blog_post",)
    assert frame["n_plus_one_group"].isna().sum() == 1  # only the root query
    by_group = frame.groupby("n_plus_one_group")["relation"].first().to_dict()
    assert by_group == {
        1: "blog.Post.author",
        2: "blog.Post.category",
        3: "blog.Post.comments",
        4: "blog.Comment.user",
    }
    by_table = {s.key: s.count for s in prof.by_table}
    assert by_table == frame.explode("tables")["tables"].value_counts().to_dict()
