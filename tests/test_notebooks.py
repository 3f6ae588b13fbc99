"""Every bundled notebook runs top to bottom in a real kernel; a raising cell fails the test.

The committed outputs are part of the product: re-executing a notebook on the data they were made
from (the `small` sample, seed 0, which the test session seeds) must show the same query counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tests.kernels import SAMPLE_PROJECT_ON_PATH, execute_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))

# django_db: the kernels read the seeded test database, which exists only when a test asks.
pytestmark = [pytest.mark.notebook, pytest.mark.django_db]

# The first line of a %%orm_profile output: "[name: ]N queries · ... ms wall time[ · vendors]".
SUMMARY = re.compile(
    r"^(?:(?P<name>\w+): )?(?P<count>[\d,]+) quer(?:y|ies) · [\d,.]+ ms in the database"
    r" · [\d,.]+ ms wall time(?: · (?P<vendors>[a-z, ]+?))?(?: · |$)"
)

_executed: dict[Path, nbformat.NotebookNode] = {}


def executed(path: Path) -> nbformat.NotebookNode:
    """The notebook at path, executed once per test session (each run takes seconds)."""
    if path not in _executed:
        _executed[path] = execute_notebook(path)
    return _executed[path]


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def profile_summaries(notebook: nbformat.NotebookNode) -> list[tuple[str, int, str]]:
    """(name, query count, vendors) of every %%orm_profile output, in notebook order."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.startswith("%%orm_profile"):
            continue
        for output in cell.get("outputs", []):
            first_line = str(output.get("data", {}).get("text/plain", "")).split("\n", 1)[0]
            match = SUMMARY.match(first_line)
            if output.get("output_type") == "display_data" and match:
                count = int(match["count"].replace(",", ""))
                found.append((match["name"] or "", count, match["vendors"] or ""))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook = executed(path)
    assert "Traceback" not in outputs_text(notebook)


def committed_vendors(path: Path) -> set[str]:
    """The database vendors named in a notebook's committed profile outputs."""
    summaries = profile_summaries(nbformat.read(path, as_version=4))
    return {vendor for _, _, vendor in summaries if vendor}


def database_vendor() -> str:
    """The vendor of the test database, known before any connection opens."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return {"sqlite3": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}.get(engine, engine)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_outputs_are_profiles_made_on_sqlite(path):
    committed = profile_summaries(nbformat.read(path, as_version=4))
    assert committed, f"{path.name} has no %%orm_profile output: run `make notebooks`"
    assert committed_vendors(path) == {"sqlite"}, f"{path.name}: run `make notebooks` on SQLite"


# Query counts of prefetches and bulk writes legitimately differ by vendor (parameter limits,
# batch sizes): the counts are compared where the outputs were made, on SQLite. On PostgreSQL
# and MariaDB the notebooks run with their own assertions (test_notebook_runs_top_to_bottom).
SAME_VENDOR = [p for p in NOTEBOOKS if committed_vendors(p) == {database_vendor()}]

if SAME_VENDOR:

    @pytest.mark.parametrize("path", SAME_VENDOR, ids=[p.name for p in SAME_VENDOR])
    def test_query_counts_match_the_committed_outputs(path):
        committed = profile_summaries(nbformat.read(path, as_version=4))
        rerun = profile_summaries(executed(path))
        assert [(name, count) for name, count, _ in rerun] == [
            (name, count) for name, count, _ in committed
        ], f"{path.name}: query counts changed; re-run `make notebooks` if that is intended"


def test_summaries_are_read_from_profile_outputs_only():
    cell = nbformat.v4.new_code_cell("%%orm_profile -o p\nx")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="3 queries · 1.0 ms in the database"),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/plain": "p: 1,234 queries · 5.0 ms in the database · 9.1 ms wall time"
                " · sqlite\n#  start ms"
            },
        ),
    ]
    printed = nbformat.v4.new_code_cell("print(p)")
    printed.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "7 queries · 1.0 ms in the database · 2.0 ms wall time"},
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell, printed])
    assert profile_summaries(notebook) == [("p", 1234, "sqlite")]


def test_quickstart_profiles_the_loop_and_its_fix():
    notebook = executed(NOTEBOOKS[0])
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
        execute_notebook(path, env=SAMPLE_PROJECT_ON_PATH)
