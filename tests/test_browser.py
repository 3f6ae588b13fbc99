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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from tests.kernels import kernel_env

if TYPE_CHECKING:
    from playwright.sync_api import Page

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"no {CHROMIUM} (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[browser]')"
    return None


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
    """JupyterLab settings for an unattended run: start the notebook's kernel, fetch no news."""
    settings = {
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false"},
    }
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


@pytest.fixture
def jupyter_lab(tmp_path, browser_ready) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on loopback, on a copy of the quickstart: (its URL, the notebook)."""
    notebook = copy_quickstart(tmp_path)
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
    command += [f"--ServerApp.root_dir={tmp_path}"]
    command += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
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
        yield f"{base}/lab/tree/{notebook.name}?token={token}", tmp_path
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


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells, once the kernel is idle; again if no cell started (kernel late)."""
    from playwright.sync_api import expect

    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(3):
        expect(idle).to_be_visible(timeout=90_000)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            expect(started).not_to_have_count(0, timeout=15_000)
            return
        except AssertionError:
            continue
    raise AssertionError("Run All Cells started no cell")


def test_quickstart_runs_in_jupyterlab_and_shows_summary_and_timeline(jupyter_lab):
    from playwright.sync_api import expect, sync_playwright

    url, folder = jupyter_lab
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "quickstart-jupyterlab.png"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(folder / "chromium-profile"),  # a fresh profile for every run
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = context.pages[0] if context.pages else context.new_page()
        try:
            page.goto(url)
            run_all_cells(page)
            summary = page.get_by_text(re.compile(r"^before: [\d,]+ queries · [\d,.]+ ms in the"))
            expect(summary).to_be_visible(timeout=120_000)
            expect(page.get_by_text(re.compile(r"after:\s+3 queries,"))).to_be_visible(
                timeout=120_000
            )
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
            errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
            assert errors.count() == 0
            summary.scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            context.close()
    assert screenshot.stat().st_size > 10_000
