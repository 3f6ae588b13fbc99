"""The committed notebooks' cells that show the good version carry no finding against their
lesson (read from the saved outputs; nothing is executed)."""

from __future__ import annotations

import json

import pytest

from tests.notebook_lessons import GOOD_CELLS, NOTEBOOKS, cell_findings, contradictions

NAMES = sorted({notebook for notebook, _, _ in GOOD_CELLS})


@pytest.mark.parametrize("name", NAMES)
def test_good_cells_show_no_finding_against_their_lesson(name):
    assert contradictions(NOTEBOOKS / name) == []


def test_the_check_sees_a_contradiction(tmp_path):
    """A good cell whose outputs list an N+1 is reported; a bad cell's findings are not."""
    cells = [
        {
            "cell_type": "code",
            "source": ["%%orm_profile -o bulk_created\n", "Post.objects.bulk_create(posts)"],
            "outputs": [
                {
                    "output_type": "stream",
                    "text": "Findings, worst first:\n- [high · N+1] Line 8 sends 14 INSERT "
                    "queries of one shape: one row at a time. Use bulk_create() instead.\n",
                }
            ],
        },
        {
            "cell_type": "code",
            "source": ["%%orm_profile -o create_loop\n"],
            "outputs": [{"output_type": "stream", "text": "- [high · write loop] Line 4 ...\n"}],
        },
    ]
    path = tmp_path / "04_bulk_operations.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    found = contradictions(path)
    assert any("'bulk_created': [high · N+1] Line 8" in f for f in found)
    assert not any("create_loop" in f for f in found)
    assert cell_findings(cells[1]) == [("high", "write loop", "Line 4 ...")]
