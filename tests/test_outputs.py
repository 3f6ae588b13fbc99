"""What %%orm_profile shows, part by part, through a real IPython shell."""

from __future__ import annotations

import base64
import json
import os

import pytest
from IPython.utils.capture import capture_output

from kit.render import figures
from kit.render.figures import PLOTLY_MIME, PngExporter, find_browser

pytestmark = pytest.mark.django_db

N_PLUS_ONE_CELL = (
    "%%orm_profile {options}\n"
    "from sample_app.blog.models import Comment, Post\n"
    "posts = list(Post.objects.order_by('pk')[:5])\n"
    "names = [post.author.username for post in posts]\n"
    "comments = Comment.objects.count()\n"  # a third query shape: the charts come from 3 on
)


def run(shell, options: str = "", cell: str = N_PLUS_ONE_CELL):
    with capture_output() as captured:
        result = shell.run_cell(cell.format(options=options))
    result.raise_error()
    return captured.outputs


def kind(output) -> str:
    """Which part an output is: summary, timeline, charts or table."""
    data = output.data
    if PLOTLY_MIME in data:
        title = data[PLOTLY_MIME]["layout"]["title"]["text"]
        return "timeline" if title.startswith("Timeline") else "charts"
    if "<table>" in data.get("text/html", ""):
        return "table"
    return "summary"


@pytest.fixture
def static_images(ip_shell):
    """PNG copies on, as by default (the test shell turns them off for speed)."""
    ip_shell.run_line_magic("config", "OrmProfile.static_images = True")
    yield
    ip_shell.run_line_magic("config", "OrmProfile.static_images = False")


@pytest.fixture
def no_browser(monkeypatch):
    """PNG export as on a machine without Chromium."""
    monkeypatch.setattr(figures, "find_browser", lambda: None)
    monkeypatch.setattr(figures, "_exporter", PngExporter())


def test_parts_come_in_order_summary_findings_timeline_charts_table(ip_shell, no_browser):
    outputs = run(ip_shell)
    assert [kind(o) for o in outputs] == ["summary", "timeline", "charts", "table"]
    summary = outputs[0].data
    assert summary["text/plain"].startswith("7 queries · ")
    assert "5 queries load related objects" in summary["text/html"]
    assert "select_related(&#x27;author&#x27;)" in summary["text/html"]
    timeline = outputs[1].data[PLOTLY_MIME]
    assert [t["name"] for t in timeline["data"]] == [
        "#1 SELECT blog_post",
        "#2 SELECT auth_user",
        "#3 SELECT blog_comment",
    ]
    assert "N+1 ×5: blog.Post.author, line 4" in timeline["layout"]["annotations"][0]["text"]
    assert "4: names = [post.author.username for post in posts]" in outputs[3].data["text/html"]


def test_without_a_browser_each_figure_falls_back_to_text_never_an_error(
    ip_shell, static_images, no_browser
):
    for output in run(ip_shell)[1:3]:
        assert "image/png" not in output.data
        markdown = output.data["text/markdown"]
        assert "Static image unavailable: no Chromium-family browser found" in markdown
        assert "auth_user" in markdown and "auth_user" in output.data["text/plain"]


@pytest.mark.skipif(
    find_browser() is None and os.environ.get("KIT_REQUIRE_SERVERS") != "1",
    reason="no Chromium-family browser for kaleido (apt install chromium)",
)
def test_with_chromium_each_figure_carries_a_png_and_its_plotly_json(ip_shell, static_images):
    outputs = run(ip_shell)
    for output in outputs[1:3]:
        png = base64.b64decode(output.data["image/png"])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        # GitHub and nbconvert prefer markdown to an image: with a PNG there is none.
        assert "text/markdown" not in output.data
        assert output.data[PLOTLY_MIME]["data"]
        assert output.metadata["image/png"]["width"] == 960


def test_no_output_embeds_plotly_js(ip_shell, no_browser):
    for output in run(ip_shell):
        text = json.dumps(output.data)
        assert "<script" not in text and "Plotly.newPlot" not in text
        assert len(text) < 100_000


def test_quiet_shows_the_summary_line_alone(ip_shell):
    outputs = run(ip_shell, "--quiet")
    (output,) = outputs
    assert output.data["text/plain"].startswith("7 queries · ")
    assert "\n" not in output.data["text/plain"]
    assert "N+1" not in output.data["text/html"]


@pytest.mark.parametrize(
    ("option", "hidden"),
    [
        ("--no-timeline", "timeline"),
        ("--no-charts", "charts"),
        ("--no-table", "table"),
    ],
)
def test_each_part_can_be_hidden(ip_shell, no_browser, option, hidden):
    shown = [kind(o) for o in run(ip_shell, option)]
    assert hidden not in shown
    assert len(shown) == 3


def test_findings_can_be_hidden(ip_shell, no_browser):
    summary = run(ip_shell, "--no-findings")[0].data
    assert "N+1" not in summary["text/html"] and "N+1" not in summary["text/plain"]


def test_config_sets_the_defaults(ip_shell, no_browser):
    ip_shell.run_line_magic("config", "OrmProfile.timeline = False")
    ip_shell.run_line_magic("config", "OrmProfile.charts = False")
    try:
        assert [kind(o) for o in run(ip_shell)] == ["summary", "table"]
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.timeline = True")
        ip_shell.run_line_magic("config", "OrmProfile.charts = True")
    ip_shell.run_line_magic("config", "OrmProfile.quiet = True")
    try:
        assert [kind(o) for o in run(ip_shell)] == ["summary"]
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.quiet = False")


def test_a_cell_without_queries_shows_its_summary_only(ip_shell):
    outputs = run(ip_shell, cell="%%orm_profile {options}\nx = 1\n")
    assert [o.data["text/plain"].split(" · ")[0] for o in outputs] == ["0 queries"]
