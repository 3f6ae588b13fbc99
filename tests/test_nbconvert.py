"""An executed notebook exported by nbconvert to HTML reads without JavaScript: code review."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbconvert import HTMLExporter

from kit.render.figures import PLOTLY_MIME, find_browser
from tests.kernels import SAMPLE_PROJECT_ON_PATH, execute_notebook

pytestmark = [pytest.mark.notebook, pytest.mark.django_db]

LOOP = "names = [p.author.username for p in Post.objects{}.order_by('pk')[:5]]\n"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, django_db_setup, django_db_blocker):
    """The notebook after a real kernel ran it on the test database, and its HTML export."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext kit"),
            nbformat.v4.new_code_cell(
                "%%orm_profile --settings sample_app.settings -o before\n"
                "from sample_app.blog.models import Post\n" + LOOP.format("")
            ),
            nbformat.v4.new_code_cell(
                "%%orm_profile -o after --compare before\n"
                + LOOP.format(".select_related('author')")
            ),
        ]
    )
    path = tmp_path_factory.mktemp("export") / "review.ipynb"
    nbformat.write(notebook, path)
    with django_db_blocker.unblock():
        done = execute_notebook(path, env=SAMPLE_PROJECT_ON_PATH)
    html, _ = HTMLExporter().from_notebook_node(done)
    return done, html


RIGHT_CELL = '<td align="right" style="text-align:right;vertical-align:top">'


def test_the_summary_and_the_tables_are_in_the_html(executed):
    _, html = executed
    assert re.search(r"before: 6 queries · [\d.,]+ ms in the database", html)
    assert "after: 1 query · " in html
    assert "5 queries load related objects" in html  # the finding, with its fix
    assert re.search(r"select_related\((&#x27;|')author(&#x27;|')\)", html)
    # Each cell's query table, one row per shape, names left-aligned against JupyterLab's CSS.
    assert html.count('<th style="text-align:left">shape</th>') == 2
    assert (
        '<td style="text-align:left;vertical-align:top">queries</td>'
        f"{RIGHT_CELL}6</td>{RIGHT_CELL}1</td>" in html
    )


def test_each_figure_is_a_png_or_its_text_rendering(executed):
    notebook, html = executed
    figures = [
        o for c in notebook.cells for o in c.get("outputs", []) if PLOTLY_MIME in o.get("data", {})
    ]
    # Two timelines and the delta chart (two query shapes a cell: no charts to repeat the table).
    assert len(figures) == 3
    if find_browser() is not None:
        assert all("image/png" in o["data"] for o in figures)
        assert html.count('src="data:image/png;base64,') == 3
    else:
        assert all("text/markdown" in o["data"] for o in figures)
        assert html.count("Static image unavailable") == 3
        assert "Timeline: 6 queries in" in html


def test_plotly_js_is_not_embedded(executed):
    notebook, html = executed
    assert "Plotly.newPlot" not in html and "cdn.plot.ly" not in html
    assert len(html) < 1_500_000  # plotly.js alone is 4.8 MB
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert "<script" not in str(output.get("data", {}))
