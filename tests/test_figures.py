"""Figures as outputs: the mimebundle, and PNG export that fails quietly and only once."""

from __future__ import annotations

import base64
import os
import time

import plotly.graph_objects as go
import pytest

from kit.render import figures
from kit.render.figures import PLOTLY_MIME, FigureOutput, PngExporter, find_browser


def small_figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h"))
    fig.update_layout(width=300, height=200)
    return fig


def test_bundle_with_a_png_has_no_markdown_and_one_line_of_text():
    output = FigureOutput(small_figure(), "text\nmore text", "**markdown**", png=b"\x89PNG fake")
    data, metadata = output._repr_mimebundle_()
    assert set(data) == {PLOTLY_MIME, "image/png", "text/plain"}
    assert base64.b64decode(data["image/png"]) == b"\x89PNG fake"
    assert metadata["image/png"] == {"width": 300, "height": 200, "needs_background": "light"}
    assert data[PLOTLY_MIME]["data"][0]["type"] == "bar"
    # The picture is saved: its text copy is its title line; repr() still gives it all.
    assert data["text/plain"] == "text" and repr(output) == "text\nmore text"


def test_bundle_without_a_png_says_why_in_markdown():
    output = FigureOutput(small_figure(), "text", "**markdown**", note="no browser")
    data, _ = output._repr_mimebundle_()
    assert set(data) == {PLOTLY_MIME, "text/markdown", "text/plain"}
    assert data["text/markdown"] == "**markdown**\n\n_Static image unavailable: no browser._"


def test_no_browser_means_no_png_and_a_reason(monkeypatch):
    monkeypatch.setattr(figures, "find_browser", lambda: None)
    exporter = PngExporter()
    assert exporter.to_png(small_figure()) is None
    assert exporter.unavailable is not None and "apt install chromium" in exporter.unavailable


def test_a_browser_that_fails_turns_png_export_off_without_raising(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(figures, "find_browser", lambda: str(fake))
    exporter = PngExporter()
    assert exporter.to_png(small_figure()) is None
    assert exporter.unavailable is not None and exporter.unavailable.startswith(
        "PNG export failed"
    )
    # Off for good: the next figure does not try again.
    started = time.perf_counter()
    assert exporter.to_png(small_figure()) is None
    assert time.perf_counter() - started < 0.1


def test_a_browser_that_hangs_times_out(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    monkeypatch.setattr(figures, "find_browser", lambda: str(fake))
    monkeypatch.setattr(figures, "START_TIMEOUT_S", 0.5)
    exporter = PngExporter()
    assert exporter.to_png(small_figure()) is None
    assert exporter.unavailable == "PNG export failed (timed out)"


@pytest.mark.skipif(
    find_browser() is None and os.environ.get("KIT_REQUIRE_SERVERS") != "1",
    reason="no Chromium-family browser for kaleido (apt install chromium)",
)
def test_system_chromium_makes_a_png_of_the_figures_size():
    png = figures.png_exporter().to_png(small_figure())
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (300, 200)


@pytest.mark.skipif(
    find_browser() is None and os.environ.get("KIT_REQUIRE_SERVERS") != "1",
    reason="no Chromium-family browser for kaleido (apt install chromium)",
)
def test_a_tab_that_is_not_reloaded_after_each_figure_draws_the_same_pictures():
    exporter = figures.png_exporter()
    other = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], mode="markers+text", text=["x", "y"]))
    other.update_layout(width=400, height=250, title="other")
    # Past a reload, and each figure drawn after the other one: no state carries over.
    first, second = set(), set()
    for _ in range(figures.RELOAD_EVERY // 2 + 1):
        first.add(exporter.to_png(small_figure()))
        second.add(exporter.to_png(other))
    assert exporter.unavailable is None
    assert len(first) == 1 and len(second) == 1 and first != second


def test_a_tab_is_reloaded_after_every_reload_every_figures_once_the_image_is_returned():
    import asyncio
    import types

    reloads: list[str] = []

    class Kaleido:  # kaleido 1.x's tab queue, as far as the kit uses it
        def __init__(self) -> None:
            self.tabs_ready: asyncio.Queue[str] = asyncio.Queue()

        async def _return_kaleido_tab(self, tab: str) -> None:
            await asyncio.sleep(0.01)  # the page reloading
            reloads.append(tab)
            await self.tabs_ready.put(tab)

    async def draw_many() -> list[int]:
        browser = figures._prompt_kaleido(types.SimpleNamespace(Kaleido=Kaleido))()
        waiting = []
        for _ in range(figures.RELOAD_EVERY * 2):
            await browser._return_kaleido_tab("tab")  # answers at once, reload or not
            waiting.append(len(reloads))
            assert await browser.tabs_ready.get() == "tab"  # a reloading tab comes back after
        return waiting

    waiting = asyncio.run(draw_many())
    assert reloads == ["tab", "tab"]
    # The 20th figure returned before its tab's reload had run; the next one waited for it.
    assert waiting[figures.RELOAD_EVERY - 1] == 0 and waiting[figures.RELOAD_EVERY] == 1


def test_a_kaleido_without_the_tab_queue_is_used_as_it_is():
    import types

    class Kaleido:
        pass

    assert figures._prompt_kaleido(types.SimpleNamespace(Kaleido=Kaleido)) is Kaleido


def test_kit_figure_gives_any_figure_a_static_form(monkeypatch):
    import kit

    fig = go.Figure(go.Scatter(x=[10, 100, 1000], y=[3, 30, 300], name="queries"))
    fig.update_layout(title="Scaling <b>chart</b>", width=400, height=300)
    monkeypatch.setattr(figures, "find_browser", lambda: None)
    monkeypatch.setattr(figures, "_exporter", PngExporter())
    data, _ = kit.figure(fig)._repr_mimebundle_()
    # Without a browser: the figure's points as text, never plotly JSON alone.
    assert set(data) == {PLOTLY_MIME, "text/markdown", "text/plain"}
    assert data["text/plain"] == "Scaling  chart\n- queries: 10: 3, 100: 30, 1000: 300"
    from concurrent.futures import Future

    done: Future[bytes] = Future()
    done.set_result(b"\x89PNG fake")
    monkeypatch.setattr(figures, "_exporter", PngExporter())
    monkeypatch.setattr(PngExporter, "submit", lambda self, figure: done)
    monkeypatch.setattr(PngExporter, "result", lambda self, job: job.result())
    data, _ = kit.figure(fig, text="a chart")._repr_mimebundle_()
    assert (
        set(data) == {PLOTLY_MIME, "image/png", "text/plain"} and data["text/plain"] == "a chart"
    )


def test_png_copies_are_kept_in_a_small_palette():
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (960, 300), "white")
    draw = ImageDraw.Draw(image)
    for row in range(8):  # bars in many shades and some text, as a chart has
        draw.rectangle(
            (100, 20 + 30 * row, 100 + 90 * row, 40 + 30 * row), fill=(20 * row, 90, 200)
        )
        draw.text((10, 22 + 30 * row), f"#{row} SELECT blog_post", fill=(40, 40, 40))
    raw = io.BytesIO()
    image.save(raw, format="PNG")
    small = figures.palette_png(raw.getvalue())
    with Image.open(io.BytesIO(small)) as result:
        assert result.mode == "P" and result.size == (960, 300)
        assert len(result.getcolors()) <= figures.PALETTE_COLORS
    assert len(small) < len(raw.getvalue())
