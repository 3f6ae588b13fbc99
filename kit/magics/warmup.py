"""`%load_ext kit` warms the render path in a daemon thread (kit.render.warm says why).

Only in a Jupyter kernel, where the first cell's outputs wait on it; %load_ext itself returns at
once, and a missing kaleido, browser or plotly leaves the warm-up undone, never an error.
"""

from __future__ import annotations

import threading

# What a warm-up may meet on a machine without the png extra or a browser: the render path
# reports those itself when a real cell needs it.
_MISSING = (ImportError, OSError, RuntimeError, ValueError)


def start_warm_up(static_images: bool = True) -> threading.Thread:
    """Start warming the render path in a daemon thread; returns the thread."""
    thread = threading.Thread(target=_warm, args=(static_images,), name="kit-warm-up", daemon=True)
    thread.start()
    return thread


def _warm(static_images: bool) -> None:
    try:
        if static_images:
            # Chromium first: it starts in its own process while the imports below run.
            from kit.render.figures import png_exporter

            png_exporter().start()
        from kit.render.warm import warm_render

        warm_render(static_images)
    except _MISSING:
        return
