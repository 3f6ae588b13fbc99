"""Plans rendered: the text tree, plain HTML, and the plotly figure with its plan menu."""

from __future__ import annotations

import json
from typing import Any

import plotly.io as pio
import pytest

from kit.explain.findings import find_plan_issues
from kit.explain.plan import ExplainError, IndexSuggestion, Plan, WhatIf
from kit.render import plan_figure as figures
from kit.render.plan_figure import PlanFigure, plan_figure
from kit.render.plan_tiles import MIN_SHARE, size_metric
from kit.render.plans import PlanReport, plan_text, plans_html, plans_text
from tests.explain_fixtures import load, parse, table_info


def plan_of(name: str, **fields: Any) -> Plan:
    """A Plan built from a stored output, with its findings, as the runner would build it."""
    fixture = load(name)
    root, _, _ = parse(name)
    tables = {t: table_info(t, v["rows"], v["indexes"]) for t, v in fixture["tables"].items()}
    findings = find_plan_issues(root, fixture["sql"], fixture["vendor"], tables)
    return Plan(
        fixture["vendor"],
        "default",
        fixture["sql"],
        fixture["params"],
        root,
        fixture["statement"],
        findings=findings,
        **fields,
    )


def test_text_tree_marks_findings_on_their_nodes():
    plan = plan_of("mysql8-filter_sort-analyze", analyzed=True, executions=3, slowest_ms=1.5)
    lines = plan_text(plan, 1, 2).splitlines()
    assert (
        lines[0] == "Plan 1 of 2 · mysql · EXPLAIN ANALYZE · 3 runs, slowest 1.50 ms · cost 101.75"
    )
    assert lines[1].startswith("SELECT … FROM `blog_post` WHERE")
    assert lines[2:6] == [
        "Limit  (est 10 rows · cost 101.75 · actual 10 rows · 0.86 ms (0.00 own))  "
        "[Limit: 10 row(s)]",
        "└─ Sort  (est 1,000 rows · cost 101.75 · actual 10 rows · 0.86 ms (0.14 own))  "
        "[Sort: blog_post.created_at DESC, limit input to 10 row(s) per chunk]",
        "   └─ Filter  (est 33.30 rows · cost 101.75 · actual 725 rows · 275 rows filtered out · "
        "0.72 ms (0.12 own))  [Filter: ((blog_post.published = true) and (blog_post.view_count "
        ">= 100))]  ⚠1",
        "      └─ Table scan on blog_post  (est 1,000 rows · cost 101.75 · actual 1,000 rows · "
        "0.60 ms)  ⚠2",
    ]
    assert lines[6].startswith("⚠1 misestimate: Filter reading blog_post on published")
    assert lines[7].startswith("⚠2 full_scan: Full scan of blog_post (1,000 rows)")


def test_text_tree_draws_branches():
    plan = plan_of("sqlite-select_related-plain")
    assert plan_text(plan).splitlines()[2:] == [
        "QUERY PLAN",
        "└─ NESTED LOOP",
        "   ├─ NESTED LOOP",
        "   │  ├─ SCAN on blog_comment  [SCAN blog_comment]  •1",
        "   │  └─ SEARCH on blog_post using PRIMARY KEY  "
        "[SEARCH blog_post USING INTEGER PRIMARY KEY (rowid=?)]",
        "   └─ SEARCH on auth_user using PRIMARY KEY  "
        "[SEARCH auth_user USING INTEGER PRIMARY KEY (rowid=?)]",
        "•1 full_scan: Full scan of blog_comment (4,950 rows) with no filter on it an index can "
        "use; if you need only some rows, filter or paginate.",
    ]


def whatif_plan() -> Plan:
    plan = plan_of("postgresql-filter_sort-plain")
    index = IndexSuggestion("Post", "blog.Post", "blog_post", ("view_count",), ("view_count",))
    after = plan_of("postgresql-filter_sort-plain", notes=("With the index.",))
    refused = WhatIf(index, error="not on MariaDB <b>")
    tried = WhatIf(index, "CREATE INDEX ...", 171.45, 36.5, True, after)
    return Plan(**{**plan_fields(plan), "whatifs": (tried, refused)})


def plan_fields(plan: Plan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in plan.__slots__}


def test_whatif_shows_cost_before_and_after_and_the_new_tree():
    text = plan_text(whatif_plan())
    assert (
        "What if models.Index(fields=['view_count']) on Post: cost 171.45 → 36.50; "
        "the plan uses it." in text
    )
    assert "    Limit  (est 10 rows · cost 171.45)" in text
    assert "not tried: not on MariaDB <b>" in text


def test_html_section_reads_without_css_or_javascript():
    error = ExplainError("postgresql", "default", "SELECT <x>", "refused: <why>")
    html = plans_html([whatif_plan()], [error])
    assert html.startswith("<div><h4>Query plans</h4>")
    # The plan, and the plan with the index: monospace, lines whole (trees must line up).
    assert html.count('<pre style="white-space:pre;') == 2
    assert html.count('<code style="white-space:pre">') == 2
    assert "<ul><li>⚠1 full_scan" in html
    assert "not on MariaDB &lt;b&gt;" in html and "refused: &lt;why&gt;" in html
    assert "<script" not in html and "class=" not in html


def test_nothing_to_show_gives_empty_text_and_html():
    assert plans_text([], []) == "" and plans_html([], []) == ""


def test_report_of_a_single_plan():
    plan = plan_of("sqlite-filter_sort-plain")
    report = PlanReport([plan])
    assert report.plan is plan and report.error is None
    assert repr(report) == plan_text(plan)
    assert report._repr_html_() == plans_html([plan])


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("postgresql-group_join-analyze", "time"),
        ("postgresql-group_join-plain", "cost"),
        ("mysql8-group_join-plain", "cost"),
        ("mariadb-group_join-plain", "rows"),
        ("sqlite-group_join-plain", "nodes"),
        # SQLite times the whole SELECT only: its top node's time does not size the steps.
        ("sqlite-group_join-analyze", "nodes"),
        ("sqlite-select_related-analyze", "nodes"),
    ],
)
def test_tile_size_is_time_when_measured_else_cost_else_rows_else_one_per_node(name, metric):
    assert size_metric(plan_of(name)) == metric


def three_plans() -> list[Plan]:
    return [
        plan_of("postgresql-filter_sort-analyze", analyzed=True),
        plan_of("postgresql-group_join-plain"),
        plan_of("postgresql-correlated_columns-analyze", analyzed=True),
    ]


def test_figure_has_one_icicle_per_plan_and_a_menu_that_switches():
    plans = three_plans()
    figure = plan_figure(plans)
    assert [trace.type for trace in figure.data] == ["icicle"] * 3
    assert [trace.visible for trace in figure.data] == [True, False, False]
    (menu,) = figure.layout.updatemenus
    assert [b.args[0]["visible"] for b in menu.buttons] == [
        [True, False, False],
        [False, True, False],
        [False, False, True],
    ]
    assert all(b.method == "update" for b in menu.buttons)
    assert menu.buttons[1].args[1]["title"]["text"].startswith("Plan 2: SELECT")


def test_icicle_tree_matches_the_plan():
    plan = plan_of("postgresql-filter_sort-analyze", analyzed=True)
    (trace,) = plan_figure([plan]).data
    assert list(trace.ids) == ["p0-0", "p0-1", "p0-2"]
    assert list(trace.parents) == ["", "p0-0", "p0-1"]
    assert list(trace.labels) == ["Limit", "Sort", "Seq Scan on blog_post ⚠"]
    own = [n.exclusive_ms for n in plan.nodes()]
    floor = sum(own) * MIN_SHARE
    assert list(trace.values) == pytest.approx([max(v, floor) for v in own])
    assert trace.branchvalues == "remainder"
    assert "Full scan of blog_post" in trace.hovertext[2]
    assert "actual 725 rows" in trace.hovertext[2]
    colours = list(trace.marker.colors)
    assert colours[2] == "#e6550d" and colours[0] != colours[2]  # the finding's node stands out


def figure_in_html(html: str) -> tuple[list[Any], dict[str, Any]]:
    """The data and layout a static HTML export hands to Plotly.newPlot."""
    decoder = json.JSONDecoder()
    at = html.index("Plotly.newPlot(") + len("Plotly.newPlot(")
    _, at = decoder.raw_decode(html, html.index('"', at))  # the div's id
    data, at = decoder.raw_decode(html, html.index("[", at))
    layout, _ = decoder.raw_decode(html, html.index("{", at))
    return data, layout


def test_static_html_export_switches_plans_without_a_kernel():
    html = pio.to_html(plan_figure(three_plans()), include_plotlyjs="cdn", full_html=True)
    assert 'src="https://cdn.plot.ly/' in html  # plotly.js loads once; it is not embedded
    assert "jupyter-widgets" not in html and "comm_id" not in html  # no kernel behind it
    data, layout = figure_in_html(html)
    assert [trace.get("visible") for trace in data] == [True, False, False]
    buttons = layout["updatemenus"][0]["buttons"]
    # plotly.js applies each button's restyle in the page: the menu works with no kernel.
    assert [(b["method"], b["args"][0]["visible"]) for b in buttons] == [
        ("update", [True, False, False]),
        ("update", [False, True, False]),
        ("update", [False, False, True]),
    ]


def test_figure_output_carries_json_html_text_and_a_png_when_possible(monkeypatch):
    plans = three_plans()
    bundle, metadata = PlanFigure.of(plans, static_image=False)._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html", "text/plain"}
    assert bundle["text/plain"] == plans_text(plans)
    html = bundle["text/html"]
    # Static first: without a PNG, the text tree in monospace; the script swaps in the
    # interactive figure only once plotly.js has loaded from its CDN.
    static, script = html.split("<script", 1)
    assert "Plan 1 of 3" in static and "<pre style=" in static and metadata == {}
    assert "cdn.plot.ly/plotly-" in script and "s.onload = resolve" in script
    assert "draw()" in script and '"updatemenus"' in script
    monkeypatch.setattr(figures, "static_png", lambda figure: b"\x89PNG fake")
    bundle, metadata = PlanFigure.of(plans)._repr_mimebundle_()
    assert bundle["image/png"] == b"\x89PNG fake"
    static = bundle["text/html"].split("<script", 1)[0]
    assert '<img src="data:image/png;base64,iVBORyBmYWtl"' in static and "<pre" not in static
    assert metadata["image/png"]["width"] == 960


def test_no_png_without_a_browser(monkeypatch):
    from kit.render import figures as outputs

    monkeypatch.setattr(outputs, "_exporter", outputs.PngExporter())
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    outputs.find_browser.cache_clear()
    try:
        assert figures.static_png(plan_figure(three_plans())) is None
        assert "no Chromium-family browser" in (outputs.png_exporter().unavailable or "")
    finally:
        outputs.find_browser.cache_clear()


def test_a_figure_needs_a_plan():
    with pytest.raises(ValueError, match="at least one plan"):
        plan_figure([])
