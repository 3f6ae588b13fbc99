"""Async code in a real Jupyter kernel: an async %%orm_profile cell runs on the kernel's loop,
a sync ORM call inside a coroutine runs (the kernel allows it) and gets a finding saying a
deployment would refuse it; a script's kit.setup() leaves DJANGO_ALLOW_ASYNC_UNSAFE alone."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from tests.kernels import SAMPLE_PROJECT_ON_PATH, execute_notebook

# A real kernel, as the notebook tests use (not in the Django 4.2 run: no ipykernel there).
pytestmark = [pytest.mark.django_db, pytest.mark.notebook]

CELLS = [
    "%load_ext kit",
    "%%orm_profile --settings sample_app.settings -o ap --quiet\n"
    "import os\n"
    "from sample_app.blog.models import Post\n"
    "async def sync_inside():\n"
    "    return Post.objects.count()\n"
    "await sync_inside()\n"
    "[p.pk async for p in Post.objects.order_by('pk')[:2]]\n",
    "print(os.environ.get('DJANGO_ALLOW_ASYNC_UNSAFE'))\n"
    "print([(q.trigger, q.line, q.execution) for q in ap.queries])\n"
    "print([f.kind for f in ap.findings])\n"
    "print(ap.findings[0].message)",
]


def test_an_async_cell_in_a_kernel(tmp_path, django_db_blocker):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    path = tmp_path / "async.ipynb"
    nbformat.write(notebook, path)
    with django_db_blocker.unblock():
        done = execute_notebook(path, env=SAMPLE_PROJECT_ON_PATH)
    profiled, printed = done.cells[1], done.cells[2]
    # The last expression was displayed: the list of two pks.
    assert any(o.get("output_type") == "execute_result" for o in profiled.outputs)
    lines = printed.outputs[0]["text"].splitlines()
    assert lines[0] == "true"  # set in the kernel, whose loop runs every cell
    assert lines[1] == "[('count', 5, 'sync_in_async'), ('async for', 7, 'async')]"
    assert lines[2] == "['sync_in_async']"
    assert "SynchronousOnlyOperation" in lines[3] and "acount()" in lines[3]


def test_a_script_leaves_djangos_async_check_on():
    code = (
        "import os, kit; kit.setup('sample_app.settings'); "
        "print(os.environ.get('DJANGO_ALLOW_ASYNC_UNSAFE'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= SAMPLE_PROJECT_ON_PATH
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "None"


def test_the_flag_is_set_only_in_a_kernel_running_its_loop(monkeypatch):
    import asyncio
    import types

    from kit.bootstrap import allow_sync_orm_in_kernel

    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    assert allow_sync_orm_in_kernel() is False  # pytest: no kernel
    kernel_shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(
        sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel_shell)
    )
    assert allow_sync_orm_in_kernel() is False  # a kernel, but no loop runs here
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ

    async def in_loop() -> bool:
        return allow_sync_orm_in_kernel()

    assert asyncio.run(in_loop()) is True
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
