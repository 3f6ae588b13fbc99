"""Figures as notebook outputs: plotly JSON, a PNG copy (kaleido, system Chromium), or text.

JupyterLab draws `application/vnd.plotly.v1+json` with its own plotly.js, so no output embeds
the 4.8 MB library. GitHub and nbconvert's HTML ignore that type and show the PNG, or, where no
browser is found for kaleido, the markdown rendering. A PNG that cannot be made is never an
error: the first failure turns PNG export off for the process and the outputs say why.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import shutil
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIME = "application/vnd.plotly.v1+json"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Starting Chromium (one tab, plotly.js loaded) takes about 1 s on an idle 2-core machine; a
# small image about 0.05 s after that.
START_TIMEOUT_S = 30.0
RENDER_TIMEOUT_S = 15.0
PALETTE_COLORS = 32
# A tab's page is reloaded after this many figures (_prompt_kaleido).
RELOAD_EVERY = 20
# Tab reloads running after their figure was returned (_prompt_kaleido).
_RELOADS: set[asyncio.Future[Any]] = set()


@lru_cache(maxsize=1)
def find_browser() -> str | None:
    """A Chromium-family browser for kaleido: $BROWSER_PATH, else the first one on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _export_errors() -> tuple[type[BaseException], ...]:
    """What a failed export raises: the browser is another process that may break any way."""
    errors: list[type[BaseException]] = [OSError, RuntimeError, ValueError, TypeError]
    errors.append(FutureTimeout)
    try:
        from choreographer.protocol import DevtoolsProtocolError
        from kaleido.errors import KaleidoError
    except ImportError:
        return tuple(errors)
    return (*errors, KaleidoError, DevtoolsProtocolError)


class PngExporter:
    """One headless Chromium per process, driven from a daemon thread's event loop."""

    def __init__(self) -> None:
        self.unavailable: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Future[Any] | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Start the browser now, in the background (a kernel's warm-up calls this first, so
        Chromium starts while the rest warms); False when PNG export is off."""
        with self._lock:
            return self.unavailable is None and self._started()

    def to_png(self, figure: go.Figure) -> bytes | None:
        """The figure as PNG bytes, or None (and `unavailable` says why) when it cannot be."""
        return self.result(self.submit(figure))

    def submit(self, figure: go.Figure) -> Future[Any] | None:
        """Start drawing the figure's PNG now (None when PNG export is off); result() waits.

        The browser draws while the kernel makes the cell's other outputs.
        """
        with self._lock:
            if self.unavailable is not None or not self._started():
                return None
            if self._loop is None or self._browser is None:
                return None
            layout = figure.layout
            opts = {"format": "png", "width": layout.width or 960, "height": layout.height or 400}
            return asyncio.run_coroutine_threadsafe(
                self._draw(self._browser, figure.to_plotly_json(), opts), self._loop
            )

    @staticmethod
    async def _draw(browser: Future[Any], spec: dict[str, Any], opts: dict[str, Any]) -> bytes:
        started = await asyncio.wrap_future(browser)
        return bytes(await started.calc_fig(spec, opts=opts))

    def result(self, job: Future[Any] | None) -> bytes | None:
        """A submitted job's PNG in a small palette, or None when it failed (and why)."""
        if job is None or self._browser is None:
            return None
        try:
            self._browser.result(timeout=START_TIMEOUT_S)  # started, or why not
            return palette_png(job.result(timeout=RENDER_TIMEOUT_S))
        except _export_errors() as exc:
            # A hung or broken browser stays off for this process: no cell waits on it again.
            timed_out = isinstance(exc, FutureTimeout)
            self.unavailable = f"PNG export failed ({'timed out' if timed_out else _why(exc)})"
            return None
        finally:
            job.cancel()

    def _started(self) -> bool:
        if self._loop is not None:
            return True
        path = find_browser()
        if path is None:
            self.unavailable = (
                "no Chromium-family browser found for kaleido (apt install chromium)"
            )
            return False
        try:
            import kaleido
        except ImportError:
            self.unavailable = "kaleido is not installed (pip install kaleido)"
            return False
        self._loop = asyncio.new_event_loop()
        # A daemon thread: a kernel that exits never waits on the browser.
        threading.Thread(target=self._loop.run_forever, name="kit-kaleido", daemon=True).start()
        # mathjax=False: kaleido would otherwise fetch MathJax from a CDN for every page. One
        # tab: it loads plotly.js once (0.6 s a tab on a 2-core machine), and a warm tab draws a
        # cell's figures one after the other faster than two tabs that reload after each.
        browser = _prompt_kaleido(kaleido)(n=1, path=path, mathjax=False, timeout=RENDER_TIMEOUT_S)
        self._browser = asyncio.run_coroutine_threadsafe(browser.__aenter__(), self._loop)
        return True


def _keep(task: asyncio.Future[Any]) -> None:
    """Hold a background task until it ends (the event loop keeps only weak references)."""
    _RELOADS.add(task)
    task.add_done_callback(_RELOADS.discard)


def _prompt_kaleido(kaleido: Any) -> type:
    """kaleido.Kaleido, answering a figure before its tab is reloaded, and reloading it less.

    After every figure kaleido reloads the tab's page (plotly.js with it) and only then returns
    the image; the reload takes about as long as a small figure, and the next figure in a
    freshly loaded page runs plotly.js cold. Plotly.toImage cleans up the graph it draws, so the
    reload only guards against what a page may accumulate: here a tab is reloaded after every
    RELOAD_EVERY figures, after the image is returned, and the next figure for it waits for the
    reload as before. Kaleido 1.x's tab queue (`_return_kaleido_tab`) is private: without it,
    kaleido is used as it is.
    """
    base = kaleido.Kaleido
    if not callable(getattr(base, "_return_kaleido_tab", None)):
        return base  # type: ignore[no-any-return]
    uses: dict[int, int] = {}

    class PromptKaleido(base):  # type: ignore[misc, valid-type]
        async def _return_kaleido_tab(self, tab: Any) -> None:
            count = uses[id(tab)] = uses.get(id(tab), 0) + 1
            if count % RELOAD_EVERY:
                await self.tabs_ready.put(tab)
                return
            # A failed reload leaves the tab out of the queue: the next figure times out, and
            # PNG export goes off.
            _keep(asyncio.ensure_future(super()._return_kaleido_tab(tab)))

    return PromptKaleido


def palette_png(png: bytes, colors: int = PALETTE_COLORS) -> bytes:
    """The PNG in a palette of `colors` colours, or as it was when Pillow is not installed.

    A chart's flat colours and anti-aliased text need few: 32 colours look the same and take
    about a fifth of kaleido's full-colour bytes (measured on the kit's figures: 39 KB ->
    8 KB for the delta chart, 54 KB -> 10 KB for a plan), so a notebook stays reviewable.
    The fast octree and zlib's default level: about 20 ms a figure (median cut and
    `optimize` cost 3-4 times that for 5-10% fewer bytes).
    """
    try:
        from PIL import Image
    except ImportError:
        return png
    with Image.open(io.BytesIO(png)) as image:
        paletted = image.convert("RGB").quantize(
            colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    paletted.save(out, format="PNG")
    smaller = out.getvalue()
    return smaller if len(smaller) < len(png) else png


def _why(exc: BaseException) -> str:
    """The first line of an error's message (choreographer passes a tuple of lines)."""
    first: object = exc.args[0] if exc.args else ""
    while isinstance(first, tuple) and first:
        first = first[0]
    lines = str(first).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


_exporter = PngExporter()


def png_exporter() -> PngExporter:
    """The process's exporter (one browser per kernel)."""
    return _exporter


@dataclass
class FigureOutput:
    """A figure as one notebook output: plotly JSON, plus a PNG or a text rendering."""

    figure: go.Figure
    text: str
    markdown: str
    png: bytes | None = None
    note: str | None = None
    # A PNG being drawn (figure_output starts it): waited for when the output is formatted.
    pending: Future[Any] | None = None

    def _resolve(self) -> None:
        if self.pending is not None:
            exporter = png_exporter()
            self.png, self.pending = exporter.result(self.pending), None
            self.note = exporter.unavailable

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._resolve()
        data: dict[str, Any] = {
            PLOTLY_MIME: json.loads(pio.to_json(self.figure, validate=False)),
            "text/plain": self.text,
        }
        metadata: dict[str, Any] = {}
        if self.png is not None:
            # With the picture saved, its text copy is its first line: every viewer that
            # shows text/plain alone is a terminal, where repr() gives the whole of it.
            data["text/plain"] = self.text.split("\n", 1)[0]
            data["image/png"] = base64.b64encode(self.png).decode("ascii")
            layout = self.figure.layout
            # White plotly_white images: dark themes put them on a light background.
            metadata["image/png"] = {
                "width": layout.width,
                "height": layout.height,
                "needs_background": "light",
            }
        else:
            # Only without a PNG: nbconvert and GitHub prefer markdown to an image.
            note = f"\n\n_Static image unavailable: {self.note}._" if self.note else ""
            data["text/markdown"] = self.markdown + note
        return data, metadata

    def __repr__(self) -> str:
        return self.text


def figure_output(
    figure: go.Figure, text: str, markdown: str, *, static_image: bool = True
) -> FigureOutput:
    """Wrap a figure for display, with its PNG copy when asked and a browser is there.

    The PNG starts drawing now and is waited for when the output is formatted, so the browser
    draws a cell's figures while the rest of its outputs are made.
    """
    if not static_image:
        return FigureOutput(figure, text, markdown)
    exporter = png_exporter()
    job = exporter.submit(figure)
    return FigureOutput(figure, text, markdown, note=exporter.unavailable, pending=job)


def figure_text(figure: go.Figure, points: int = 12) -> str:
    """Any figure as text: its title, then each trace's name and first points."""
    title = figure.layout.title.text or "Figure"
    lines = [re.sub(r"<[^>]+>", " ", title).strip()]
    for trace in figure.data:
        xs, ys = getattr(trace, "x", None), getattr(trace, "y", None)
        if xs is None or ys is None:
            lines.append(f"- {trace.name or trace.type}")
            continue
        pairs = [f"{x}: {y:,.4g}" if isinstance(y, int | float) else f"{x}: {y}"
                 for x, y in zip(xs, ys, strict=False)]  # fmt: skip
        more = f", … ({len(pairs) - points:,} more)" if len(pairs) > points else ""
        lines.append(f"- {trace.name or trace.type}: {', '.join(pairs[:points])}{more}")
    return "\n".join(lines)


def static_figure(figure: go.Figure, text: str | None = None) -> FigureOutput:
    """`kit.figure(fig)`: any plotly figure as the kit shows its own, for a notebook shared in
    review: the figure for JupyterLab, a PNG copy for GitHub and nbconvert (else `text`, by
    default the figure's title and points). A bare figure saves plotly JSON alone, which they
    show as nothing."""
    text = figure_text(figure) if text is None else text
    return figure_output(figure, text, f"```text\n{text}\n```")
