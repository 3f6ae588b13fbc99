"""The committed notebooks as a reviewer gets them: small enough to review, and every output
readable where no JavaScript runs (GitHub, nbconvert's HTML). Reads the files; runs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_BYTES = 600 * 1024
# What GitHub and nbconvert can show instead of the plotly JSON they ignore.
STATIC = ("image/png", "text/html", "text/markdown")
# A text copy of an HTML output is for terminals: a line or a short table, not the HTML again.
MAX_TEXT_BESIDE_HTML = 10_000


def outputs(path: Path) -> list[tuple[int, dict]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        (number, output)
        for number, cell in enumerate(notebook["cells"])
        for output in cell.get("outputs", [])
    ]


def text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_notebook_is_small_enough_to_review(path):
    assert path.stat().st_size < MAX_BYTES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_output_is_plotly_json_alone(path):
    alone = [
        f"cell {number}"
        for number, output in outputs(path)
        if PLOTLY_MIME in output.get("data", {})
        and not any(kind in output["data"] for kind in STATIC)
    ]
    assert alone == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_large_html_is_saved_twice(path):
    doubled = [
        f"cell {number}: {len(text(data['text/plain'])):,} characters of text beside its HTML"
        for number, output in outputs(path)
        if "text/html" in (data := output.get("data", {}))
        and len(text(data.get("text/plain", ""))) > MAX_TEXT_BESIDE_HTML
    ]
    assert doubled == []
    with_markdown = [
        f"cell {number}" for number, output in outputs(path)
        if {"text/html", "text/markdown"} <= set(output.get("data", {}))
    ]  # fmt: skip
    assert with_markdown == []
