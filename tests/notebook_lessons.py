"""The bundled notebooks' cells that show the good version, and the findings that would
contradict them: a check on a notebook's saved outputs (committed or freshly executed).

Run on a notebook executed elsewhere:
    python -m tests.notebook_lessons /tmp/nbw/04_bulk_operations.ipynb
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# What the findings list of a profiled cell prints: "- [high · N+1] Line 4 sends ...".
_FINDING = re.compile(r"^- \[(high|medium|low|info) · ([^\]]+)\] (.*)$", re.M)

# Every good cell: no high or medium finding at all.
_SERIOUS = frozenset({"high", "medium"})
N_PLUS_ONE = frozenset({"N+1"})
WRITES = frozenset({"N+1", "write loop"})
EVALUATION = frozenset({"len()", "bool()"})
EAGER = frozenset({"N+1", "unused eager load"})

# (notebook file, the profile's name in the cell's `%%orm_profile -o NAME` line, finding labels
# it must not show at any severity). Cells are found by their code, not their position, so
# added cells do not shift them; every entry must match exactly one cell.
GOOD_CELLS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("00_quickstart.ipynb", "after", EAGER),
    ("01_n_plus_one.ipynb", "optimized", EAGER),
    ("01_n_plus_one.ipynb", "latest_prefetch", EAGER),
    ("02_lazy_loading.ipynb", "exists", EVALUATION),
    ("02_lazy_loading.ipynb", "counted", EVALUATION),
    # `if posts:` then a loop over the same queryset: one query in all, the lesson says.
    ("02_lazy_loading.ipynb", "truthy_then_loop", EVALUATION),
    ("03_field_selection.ipynb", "only_fields", N_PLUS_ONE),
    ("03_field_selection.ipynb", "deferred", N_PLUS_ONE),
    ("03_field_selection.ipynb", "deferred_fixed", N_PLUS_ONE),
    ("03_field_selection.ipynb", "with_stats_fixed", N_PLUS_ONE),
    ("03_field_selection.ipynb", "summary", N_PLUS_ONE),
    ("04_bulk_operations.ipynb", "bulk_created", WRITES),
    ("04_bulk_operations.ipynb", "bulk_updated", WRITES),
    ("04_bulk_operations.ipynb", "f_update", WRITES),
    ("04_bulk_operations.ipynb", "bulk_update_cell", WRITES),
    ("04_bulk_operations.ipynb", "bulk_deleted", WRITES),
    ("04_bulk_operations.ipynb", "upsert_django", WRITES),
    ("04_bulk_operations.ipynb", "with_tags", WRITES),
    ("05_complex_queries.ipynb", "one_aggregate", frozenset({"aggregates"})),
    ("05_complex_queries.ipynb", "orm_filter", N_PLUS_ONE),
    ("05_complex_queries.ipynb", "latest_subquery", N_PLUS_ONE),
    ("05_complex_queries.ipynb", "top_window", N_PLUS_ONE),
    ("07_database_specific.ipynb", "chain_fixed", EAGER),
    ("07_database_specific.ipynb", "detail_fixed", EAGER),
    ("08_monitoring.ipynb", "kit_view_optimized", EAGER | EVALUATION),
    ("09_before_after.ipynb", "example1_fixed", EAGER),
    ("09_before_after.ipynb", "example2_good", EAGER),
)


def cell_findings(cell: dict) -> list[tuple[str, str, str]]:
    """(severity, label, message) of each finding the cell's saved outputs list."""
    texts = []
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {}).get("text/plain") or ""
        texts.append(text if isinstance(text, str) else "".join(text))
    return _FINDING.findall("\n".join(texts))


def contradictions(path: str | Path, name: str | None = None) -> list[str]:
    """What the good cells of the notebook at path show against their lesson, one line each;
    name: the bundled notebook whose list of good cells applies (default: path's file name)."""
    path = Path(path)
    name = name or path.name
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    found = []
    for notebook, code, forbidden in GOOD_CELLS:
        if notebook != name:
            continue
        profiled = re.compile(rf"^%%orm_profile\b.*-o {code}(\s|$)")
        matching = [c for c in cells if profiled.match("".join(c["source"]))]
        if len(matching) != 1:
            found.append(f"{name}: {len(matching)} cells profile as {code!r}, not 1")
            continue
        for severity, label, message in cell_findings(matching[0]):
            if severity in _SERIOUS or label in forbidden:
                found.append(f"{name} {code!r}: [{severity} · {label}] {message}")
    return found


if __name__ == "__main__":
    problems = [line for arg in sys.argv[1:] for line in contradictions(arg)]
    print("\n".join(problems) or "no contradiction")
    sys.exit(1 if problems else 0)
