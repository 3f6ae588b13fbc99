"""Run notebooks in a real kernel on the seeded test database (nbclient)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
from django.db import connection
from nbclient import NotebookClient

SCHEMES = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql"}


def test_database_url() -> str:
    """A DATABASE_URL that points a kernel at the test database this session created."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT']}" if s.get("PORT") else s["HOST"]
    return f"{SCHEMES[connection.vendor]}://{auth}@{host}/{s['NAME']}"


def kernel_env() -> dict[str, str]:
    """The environment for a kernel: this interpreter's kernelspec first, the test database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = test_database_url()
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH", "")]
    ).rstrip(os.pathsep)
    return env


# For a notebook outside the repository that names the sample project's settings: the project
# importable as an installed one's would be (sample_app is not in the kit's package; inside the
# repository the kit finds manage.py and puts the project on sys.path itself).
SAMPLE_PROJECT_ON_PATH = {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


def execute_notebook(
    path: Path, timeout: int = 600, env: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom in its own folder; a cell that raises raises here.

    env: more environment variables for the kernel.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = {**kernel_env(), **(env or {})}
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = env["JUPYTER_PATH"]  # the kernelspec lookup happens here
    try:
        client.execute(env=env)
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved
    return notebook
