"""Every bundled notebook runs top to bottom in a real kernel; a raising cell fails the test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tests.kernels import execute_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))

# django_db: the kernels read the seeded test database, which exists only when a test asks.
pytestmark = [pytest.mark.notebook, pytest.mark.django_db]


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook = execute_notebook(path)
    assert "Traceback" not in outputs_text(notebook)


def test_quickstart_profiles_the_loop_and_its_fix():
    notebook = execute_notebook(NOTEBOOKS[0])
    text = outputs_text(notebook)
    assert "before: " in text and "after: 3 queries" in text
    assert "select_related" in "".join(c.source for c in notebook.cells)


def test_a_raising_cell_fails_the_run(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext kit"),
            nbformat.v4.new_code_cell(
                "%%orm_profile --settings sample_app.settings\n"
                "from sample_app.blog.models import Post\n"
                "Post.objects.count()\n"
                "1 / 0"
            ),
        ]
    )
    path = tmp_path / "raises.ipynb"
    nbformat.write(notebook, path)
    # The kernel starts in tmp_path, outside the repository: --settings says where Django is.
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute_notebook(path)
