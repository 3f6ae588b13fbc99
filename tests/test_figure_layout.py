"""Every figure kind, drawn by plotly.js in Debian's chromium at 1, 5 and 60 rows, reads at a
glance: no text over other text, over the data or past the figure's edge; menus clear of the
titles; hover boxes inside the figure; every step of a SQLite plan labelled.

The figures are drawn at their own layout size, as kaleido draws their PNG copies and
JupyterLab their live form; screenshots land in test-artifacts/figures/. Needs `apt install
chromium` and playwright (the `browser` extra); never downloads a browser.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
import pytest

from tests.figure_boxes import COLLECT, clashes
from tests.figure_cases import figure_cases
from tests.test_browser import CHROMIUM, _missing

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "figures"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CASES = figure_cases()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Iterator[Any]:
    """A chromium page with plotly.js loaded: the same library kaleido and JupyterLab use."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("KIT_REQUIRE_SERVERS") == "1":
            pytest.fail(f"KIT_REQUIRE_SERVERS=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("figures")
    html = folder / "page.html"
    html.write_text(
        f"<html><head><script src='{PLOTLY_JS.as_uri()}'></script></head>"
        "<body style='margin:0'><div id='fig'></div></body></html>"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.goto(html.as_uri())
        yield page
        browser.close()


def draw(page: Any, name: str) -> dict[str, Any]:
    """Draw the case's figure alone on the page; its text and mark boxes, and a screenshot."""
    figure = CASES[name]()
    page.evaluate(
        "(fig) => Plotly.newPlot('fig', fig.data, fig.layout, {displayModeBar: false})",
        json.loads(figure.to_json()),
    )
    found = page.locator("#fig").evaluate(COLLECT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#fig").screenshot(path=str(ARTIFACTS / f"{name}.png"))
    found["figure"] = figure
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_no_text_overlaps_text_data_or_the_edge(page, name):
    found = draw(page, name)
    assert found["texts"], "nothing was drawn"
    assert clashes(found) == []


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("plan-sqlite")])
def test_every_step_of_a_sqlite_plan_is_labelled(page, name):
    found = draw(page, name)
    (trace,) = found["figure"].data
    tiles = [t for t in found["texts"] if t["kind"] == "tile"]
    assert len(tiles) == len(trace.ids)
    assert "one per step" in found["figure"].layout.title.subtitle.text


@pytest.mark.parametrize("name", ["timeline-5", "timeline-60", "breakdown-5"])
def test_hover_text_is_plain_and_inside_the_figure(page, name):
    found = draw(page, name)
    svg = found["svg"]
    mark = found["marks"][0]  # the first bar, or the first query's marker
    page.mouse.move((mark["x0"] + mark["x1"]) / 2, (mark["y0"] + mark["y1"]) / 2)
    hover = page.locator("#fig .hoverlayer .hovertext")
    hover.first.wait_for(timeout=5_000)
    box = hover.first.bounding_box()
    text = hover.first.text_content() or ""
    assert "SELECT" in text and "&quot;" not in text and "&amp;" not in text
    assert box["x"] >= svg["x0"] and box["x"] + box["width"] <= svg["x1"]
    assert box["width"] <= 0.75 * (svg["x1"] - svg["x0"])
    page.mouse.move(0, 0)


@pytest.mark.parametrize("online", [False, True], ids=["offline", "online"])
def test_plan_figure_html_is_static_offline_and_interactive_where_plotly_loads(
    page, tmp_path, online
):
    from kit.render.plan_figure import PlanFigure
    from tests.figure_cases import plan_of

    bundle, _ = PlanFigure.of(
        [plan_of(5, "sqlite"), plan_of(3, "sqlite")], False
    )._repr_mimebundle_()
    html = tmp_path / "export.html"
    html.write_text(f"<html><body>{bundle['text/html']}</body></html>")
    context = page.context.browser.new_context()
    try:
        tab = context.new_page()
        # nbconvert's HTML loads plotly.js from its CDN: served here from the local copy, or
        # refused as it is offline.
        if online:
            tab.route("https://cdn.plot.ly/**", lambda r: r.fulfill(path=str(PLOTLY_JS)))
        else:
            tab.route("https://cdn.plot.ly/**", lambda r: r.abort())
        tab.goto(html.as_uri())
        if online:
            tab.locator(".js-plotly-plot").wait_for(timeout=10_000)
            assert tab.locator("pre").count() == 0  # the static copy made way
            assert tab.locator(".updatemenu-header-group").count() == 1  # the plan menu works
        else:
            tab.wait_for_timeout(500)
            static = tab.locator("pre")
            assert static.count() == 1 and "Plan 1 of 2" in static.inner_text()
            assert static.bounding_box()["height"] > 100  # not a blank box
            assert tab.locator(".js-plotly-plot").count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"plan-html-{'online' if online else 'offline'}.png"))
    finally:
        context.close()
