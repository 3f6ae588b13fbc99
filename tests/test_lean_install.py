"""The kit with its core dependencies alone: no extra is needed to profile and show a cell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import plotly.graph_objects as go

from kit.render import figures
from kit.render.figures import PngExporter, figure_output

KALEIDO_MISSING = "kaleido is not installed (pip install kaleido)"


def test_without_kaleido_a_figure_carries_its_text_copy_and_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", None)  # `import kaleido` raises ImportError
    monkeypatch.setattr(figures, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(figures, "_exporter", PngExporter())
    output = figure_output(go.Figure(go.Bar(x=[1], y=["a"])), "text copy", "**markdown copy**")
    data, _ = output._repr_mimebundle_()
    assert output.png is None and "image/png" not in data
    assert (
        data["text/markdown"]
        == f"**markdown copy**\n\n_Static image unavailable: {KALEIDO_MISSING}._"
    )
    assert data["text/plain"] == "text copy"
    assert figures.png_exporter().unavailable == KALEIDO_MISSING


# Every package of an extra (and what only they bring), as if not installed: importing one fails.
NOT_INSTALLED = (
    "kaleido", "choreographer",  # png
    "jupyterlab", "ipykernel", "django_extensions",  # lab
    "debug_toolbar", "dj_database_url", "rest_framework",  # notebooks
    "sample_app", "pytest", "pytest_django", "nbclient", "nbformat", "hypothesis", "nbconvert",
)  # fmt: skip

PROFILE_WITH_THE_CORE_ALONE = """
import json, sys

NOT_INSTALLED = set({not_installed!r})

class NotInstalled:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in NOT_INSTALLED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled)

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "kit")
with capture_output() as captured:
    result = shell.run_cell(
        "%%orm_profile --settings mysite.settings -o p\\n"
        "from django.db import connection\\n"
        "for n, sql in enumerate(['SELECT %s', 'SELECT %s + 1', 'SELECT %s * 2']):\\n"
        "    with connection.cursor() as cursor:\\n"  # three shapes: the charts show too
        "        cursor.execute(sql, [n])\\n"
    )
result.raise_error()
print(json.dumps({{
    "queries": shell.user_ns["p"].query_count,
    "markdown": [o.data.get("text/markdown") for o in captured.outputs],
    "png": [o.data.get("image/png") is not None for o in captured.outputs],
    "imported": sorted(NOT_INSTALLED & {{m.partition(".")[0] for m in sys.modules}}),
}}))
"""


def test_the_magic_profiles_and_shows_a_cell_with_no_extra_installed(tmp_path):
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(
        'SECRET_KEY = "x"\nINSTALLED_APPS = []\nUSE_TZ = True\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
    }
    # A browser is found: the figures go without PNG because kaleido is missing, not Chromium.
    env["BROWSER_PATH"] = shutil.which("true") or "/bin/true"
    code = PROFILE_WITH_THE_CORE_ALONE.format(not_installed=NOT_INSTALLED)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.splitlines()[-1])
    assert shown["queries"] == 3
    assert shown["imported"] == []
    assert shown["png"] == [False, False, False, False]  # summary, timeline, charts, table
    figures_markdown = shown["markdown"][1:3]
    assert all(
        m and m.endswith(f"_Static image unavailable: {KALEIDO_MISSING}._")
        for m in figures_markdown
    )
