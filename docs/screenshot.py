"""Redraw docs/profile.png: notebook 01's first profiled cell, as nbconvert's HTML shows it.

What a reviewer sees of a shared notebook, with no kernel and no JavaScript of the kit's own.
Needs the browser extra and Debian's chromium. Run from the repository root:

    .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_n_plus_one.ipynb"
TARGET = ROOT / "docs" / "profile.png"


def main() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    browser_path = shutil.which("chromium")
    if browser_path is None:
        raise SystemExit("No chromium on PATH: apt install chromium.")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_path = Path(tmp) / "notebook.html"
        page_path.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=browser_path)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(page_path.as_uri())
        cell = page.locator(".jp-CodeCell", has_text="%%orm_profile").first
        box = cell.bounding_box()
        if box is None:
            raise SystemExit(f"No profiled cell in {NOTEBOOK.name}.")
        # The code, the summary, the findings and the timeline: the table below is cut.
        clip = {
            "x": box["x"],
            "y": box["y"],
            "width": box["width"],
            "height": min(box["height"], 1150),
        }
        page.screenshot(path=str(TARGET), clip=clip, full_page=True)
        browser.close()
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
