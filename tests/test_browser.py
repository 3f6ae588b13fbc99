"""The quickstart in a real JupyterLab, driven by Debian's chromium through Playwright.

JupyterLab runs headless on loopback on a copy of the notebook (outputs cleared), the page runs
every cell from the Run menu, and the test waits for the summary and the plotly timelines. The
screenshot is kept in test-artifacts/ (git-ignored). Needs `apt install chromium` and
`pip install playwright` (the `browser` extra); never downloads a browser.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest

from tests.kernels import kernel_env

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
# Root in a container needs --no-sandbox; the rest keeps Chromium off the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ERRORS = (
    "[data-mime-type='application/vnd.jupyter.error'], "
    "[data-mime-type='application/vnd.jupyter.stderr']"
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _missing() -> str | None:
    """Why no browser test can run here (no chromium, no playwright), or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no {CHROMIUM} (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[browser]')"
    return None


def lab_page(playwright: Any, folder: Path) -> tuple[Any, Page]:
    """Debian's chromium with a fresh profile for this run, and its page."""
    context = playwright.chromium.launch_persistent_context(
        str(folder / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000},
    )
    return context, context.pages[0] if context.pages else context.new_page()


@pytest.fixture(scope="module")
def browser_ready() -> None:
    """Skip without chromium or playwright, unless CI requires them (KIT_REQUIRE_SERVERS=1)."""
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("KIT_REQUIRE_SERVERS") == "1":
        pytest.fail(f"KIT_REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_server(url: str, server: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer {url} in {timeout:.0f} s")


def write_lab_settings(folder: Path) -> Path:
    """JupyterLab settings for an unattended run: no news toast over the page."""
    settings = {"apputils-extension/notification": {"fetchNews": "false"}}
    for name, values in settings.items():
        path = folder / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


def copy_quickstart(folder: Path) -> Path:
    """The quickstart without its saved outputs: whatever the page shows, this run made."""
    notebook = nbformat.read(REPO / "notebooks" / "00_quickstart.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    path = folder / "00_quickstart.ipynb"
    nbformat.write(notebook, path)
    return path


FIGURES_CELLS = [
    "%load_ext kit",
    # A long cell: the live progress line shows while it runs, then the profile replaces it.
    "%%orm_profile -o before\n"
    "import time\n"
    "from sample_app.blog.models import Post\n"
    "for post in Post.objects.order_by('pk')[:60]:\n"
    "    post.author.username, post.category.name\n"
    "    list(post.tags.all())\n"
    "time.sleep(3)\n",
    "%%orm_profile -o after --compare before\n"
    "posts = list(Post.objects.select_related('author', 'category')"
    ".prefetch_related('tags').order_by('pk')[:60])\n",
    "%%orm_profile --explain\n"
    "list(Post.objects.filter(published=True).order_by('-created_at')[:5])\n"
    "print('figures:', 'every cell ran')\n",  # the page's text differs from the source's
]


def write_figures_notebook(folder: Path) -> Path:
    """A notebook with every figure kind: timeline, charts, delta chart, plan."""
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in FIGURES_CELLS]
    )
    path = folder / "figures.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def jupyter_lab(tmp_path, browser_ready) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on loopback, on a copy of the quickstart: (its URL, its folder)."""
    # The server sees a folder with the notebook alone; its own state lives beside it.
    root = tmp_path / "root"
    root.mkdir()
    copy_quickstart(root)
    write_figures_notebook(root)
    env = kernel_env()
    env.update(
        # The copy is outside the repository: the kernel finds the sample project this way.
        DJANGO_SETTINGS_MODULE="sample_app.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(write_lab_settings(tmp_path / "settings")),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyter.log").open("wb")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"]
    command += [f"--port={port}", f"--ServerApp.token={token}", "--allow-root"]
    command += [f"--ServerApp.root_dir={root}"]
    command += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    command += ["--KernelSpecManager.allowed_kernelspecs=python3"]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={token}", server)
        yield f"{base}/lab?token={token}", tmp_path
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGINT)  # jupyter asks to confirm: a second ^C stops it
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # this server and its kernels only
                server.wait()
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(tmp_path / "jupyter.log", ARTIFACTS / "jupyter.log")


def settle_kernel(page: Page, timeout_s: float = 90.0) -> None:
    """Wait until the notebook's kernel is idle and stays so, answering "Select Kernel" if asked.

    JupyterLab may ask for the kernel even after starting the notebook's own (a race between
    the notebook and the list of kernels): the answer is the notebook's kernel, Python 3.
    """
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    deadline, quiet_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        if dialog.count():
            dialog.locator("select").select_option(label="Python 3 (ipykernel)")
            dialog.get_by_role("button", name="Select Kernel").click()
            quiet_since = None
        elif not idle.count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 5:
            return
        page.wait_for_timeout(500)
    raise AssertionError("the notebook's kernel did not become idle")


def run_all_cells(
    page: Page,
    done: Locator,
    timeout_s: float = 240.0,
    poll: Callable[[], bool] | None = None,
) -> None:
    """Run > Run All Cells until `done` shows; again if the run never started or was dropped.

    JupyterLab may swap the kernel it just started (the page then shows every prompt empty
    again, nothing running): that run is lost, and Run All is asked once more.
    """
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(3):
        settle_kernel(page)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        clicked = time.monotonic()
        while time.monotonic() - clicked < timeout_s:
            if (poll() if poll else False) or done.count():
                return
            if time.monotonic() - clicked > 15 and not started.count() and idle.count():
                break  # nothing ran, nothing runs: ask again
            page.wait_for_timeout(200 if poll else 1_000)
    raise AssertionError("Run All Cells did not finish the notebook")


def test_quickstart_runs_in_jupyterlab_and_shows_summary_and_timeline(jupyter_lab):
    from playwright.sync_api import expect, sync_playwright

    url, folder = jupyter_lab
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "quickstart-jupyterlab.png"
    with sync_playwright() as playwright:
        context, page = lab_page(playwright, folder)
        try:
            page.goto(url)
            # Opened from the file browser once the page is up, as a person would: opened by
            # URL, the notebook can ask for its kernel before the page knows the kernels.
            page.locator(".jp-DirListing-item[title^='Name: 00_quickstart.ipynb']").dblclick()
            # The notebook's last check prints this: every cell has run.
            run_all_cells(page, page.get_by_text(re.compile(r"after:\s+3 queries,")))
            summary = page.get_by_text(re.compile(r"^before: [\d,]+ queries · [\d,.]+ ms in the"))
            expect(summary).to_be_visible()
            # jupyterlab-plotly shows the output's PNG first and draws the interactive figure
            # when the pointer comes over it.
            plots = page.locator(".jp-RenderedPlotly")
            expect(plots).to_have_count(4, timeout=60_000)  # two timelines, two charts
            for index in range(plots.count()):
                plots.nth(index).scroll_into_view_if_needed()
                plots.nth(index).hover()
            timelines = page.locator(".js-plotly-plot .gtitle", has_text="Timeline:")
            expect(timelines).to_have_count(2, timeout=60_000)
            expect(page.locator(".js-plotly-plot")).to_have_count(4)
            assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
            summary.scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            # Shown by pytest when the test fails: what the notebook printed to stderr or raised.
            for text in page.locator(ERRORS).all_inner_texts():
                print(text[-2000:])
            context.close()
    assert screenshot.stat().st_size > 10_000


PROGRESS = re.compile(r"^[\d,]+ quer(y|ies) · [\d.,]+ s in the database · [\d.,]+ s$")


def test_figures_read_at_a_glance_in_jupyterlab_and_a_long_cell_shows_its_progress(jupyter_lab):
    from playwright.sync_api import expect, sync_playwright

    from tests.figure_boxes import COLLECT, clashes

    url, folder = jupyter_lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        context, page = lab_page(playwright, folder)
        try:
            page.goto(url)
            page.locator(".jp-DirListing-item[title^='Name: figures.ipynb']").dblclick()
            progress = page.get_by_text(PROGRESS)
            done = page.get_by_text("figures: every cell ran")
            seen: list[str] = []

            def watch_progress() -> bool:
                # Polled while Run All goes on: the line, while the long cell runs.
                if progress.count() and not seen:
                    seen.append(progress.first.inner_text())
                    page.screenshot(path=str(ARTIFACTS / "progress-jupyterlab.png"))
                return bool(done.count())

            run_all_cells(page, done, poll=watch_progress)
            assert seen, "no progress line while the long cell ran"
            # The line is gone: the profile's summary took its place.
            expect(progress).to_have_count(0)
            expect(page.get_by_text(re.compile(r"^before: [\d,]+ queries · "))).to_be_visible()
            plots = page.locator(".jp-RenderedPlotly")
            expect(plots).to_have_count(6, timeout=60_000)
            # jupyterlab-plotly shows the PNG first and draws the figure under the pointer.
            for index in range(plots.count()):
                plots.nth(index).scroll_into_view_if_needed()
                plots.nth(index).hover()
            figures = page.locator(".js-plotly-plot")
            expect(figures).to_have_count(6, timeout=60_000)
            problems, titles = [], []
            for index in range(figures.count()):
                figure = figures.nth(index)
                figure.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                found = figure.evaluate(COLLECT)
                titles += [t["text"] for t in found["texts"] if t["kind"] == "title"]
                problems += [f"figure {index}: {p}" for p in clashes(found)]
                figure.screenshot(path=str(ARTIFACTS / f"jupyterlab-figure-{index}.png"))
            assert problems == []
            for title in ("Timeline:", "Where the", "change in % of before", "Plan 1:"):
                assert any(t.startswith(title) or title in t for t in titles), (title, titles)
            assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
        finally:
            page.screenshot(path=str(ARTIFACTS / "figures-jupyterlab.png"), full_page=True)
            for text in page.locator(ERRORS).all_inner_texts():
                print(text[-2000:])
            context.close()
