"""%load_ext kit warms the render path in the background, in a kernel only, and never fails."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

from kit.render import figures
from kit.render.figures import PLOTLY_MIME, PngExporter
from kit.render.warm import warm_profile, warm_render


def test_the_warm_profile_runs_every_part_of_the_render_path():
    profile = warm_profile()
    assert profile.query_count == 6 and len(profile.n_plus_one) == 1
    bundles = warm_render(static_images=False)
    kinds = [b[0] if isinstance(b[0], dict) else None for b in bundles]
    # summary, timeline, charts (three shapes), table
    assert len(bundles) == 4 and PLOTLY_MIME in kinds[1] and PLOTLY_MIME in kinds[2]


def test_without_a_browser_the_warm_up_makes_text_copies_and_raises_nothing(monkeypatch):
    monkeypatch.setattr(figures, "find_browser", lambda: None)
    monkeypatch.setattr(figures, "_exporter", PngExporter())
    bundles = warm_render(static_images=True)
    assert "text/markdown" in bundles[1][0] and "image/png" not in bundles[1][0]


def test_warm_up_in_a_fresh_process_imports_the_render_path_off_the_calling_thread():
    script = textwrap.dedent(
        """
        import sys, time
        started = time.perf_counter()
        from kit.magics.warmup import start_warm_up
        thread = start_warm_up(static_images=False)
        returned = time.perf_counter() - started
        thread.join(120)
        print(returned, "plotly.graph_objs" in sys.modules, "kit.render.timeline" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=180
    ).stdout.split()
    returned, plotly, timeline = float(out[0]), out[1], out[2]
    # Starting it costs the import of a small module and a thread; the work is in the thread.
    assert returned < 0.5 and plotly == "True" and timeline == "True"


def test_load_ext_starts_the_warm_up_in_a_kernel_only(ip_shell):
    def warming() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "kit-warm-up"]

    # Another test may have left a bad threshold in the shell's config: not this test's subject.
    threshold = ip_shell.config.OrmProfile.pop("threshold", None)
    ip_shell.run_line_magic("reload_ext", "kit")  # the tests' shell is no kernel
    assert warming() == []
    ip_shell.kernel = object()  # as ipykernel's shell has
    try:
        started = time.perf_counter()
        ip_shell.run_line_magic("reload_ext", "kit")
        assert time.perf_counter() - started < 0.5
        threads = warming()
        assert threads
        for thread in threads:
            thread.join(120)
    finally:
        del ip_shell.kernel
        ip_shell.run_line_magic("config", "OrmProfile.static_images = False")
        if threshold is not None:
            ip_shell.config.OrmProfile.threshold = threshold
