"""Configure Django inside a running kernel or script: find the settings, then django.setup()."""

from __future__ import annotations

import ast
import importlib
import os
import sys
import traceback
from asyncio.events import _get_running_loop
from pathlib import Path

from kit.errors import DjangoSetupError

_HOW_TO = (
    "pass --settings yourproject.settings (kit.setup('yourproject.settings')), "
    "set DJANGO_SETTINGS_MODULE, or start the notebook in a folder at or below manage.py"
)


def find_manage_py(start: Path) -> Path | None:
    """The nearest manage.py in start or one of its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "manage.py"
        if candidate.is_file():
            return candidate
    return None


def settings_from_manage_py(manage_py: Path) -> str | None:
    """The DJANGO_SETTINGS_MODULE that manage.py sets by default, read without running it."""
    try:
        tree = ast.parse(manage_py.read_text(encoding="utf-8"), filename=str(manage_py))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"  # type: ignore[attr-defined]
        ):
            return str(node.args[1].value)  # type: ignore[attr-defined]
    return None


def locate_settings(settings: str | None = None, start: Path | None = None) -> tuple[str, Path]:
    """(settings module, project folder to put on sys.path): explicit, environment, manage.py.

    The project folder is manage.py's, else the start folder (where the notebook runs).
    """
    start = (start or Path.cwd()).resolve()
    manage_py = find_manage_py(start)
    project_dir = manage_py.parent if manage_py else start
    if settings:
        return settings, project_dir
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return os.environ["DJANGO_SETTINGS_MODULE"], project_dir
    if manage_py is None:
        raise DjangoSetupError(f"No Django project found from {start}: {_HOW_TO}.")
    module = settings_from_manage_py(manage_py)
    if module is None:
        raise DjangoSetupError(f"{manage_py} does not set DJANGO_SETTINGS_MODULE: {_HOW_TO}.")
    return module, project_dir


def _import_settings(module: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise DjangoSetupError(
            f"Settings module {module!r} could not be imported ({exc}): {_HOW_TO}."
        ) from exc
    # The settings' own code raised (a missing environment variable, a typo): it is the user's
    # code, so say where, in one line; importlib has already dropped the half-made module.
    except Exception as exc:
        raise DjangoSetupError(
            f"Settings module {module!r} raised {type(exc).__name__}: {exc} "
            f"({_raised_at(exc, module)}); fix it, then run the cell again."
        ) from None


def _raised_at(exc: BaseException, module: str) -> str:
    """Where the settings module raised, "at path/settings.py, line 12": its own innermost
    frame (a KeyError's innermost frame is os.environ's, not the user's line)."""
    frames = traceback.extract_tb(exc.__traceback__)
    path = module.replace(".", "/")
    own = [f for f in frames if f.filename.endswith((f"{path}.py", f"{path}/__init__.py"))]
    if not (own or frames):
        return "no traceback"
    last = (own or frames)[-1]
    return f"at {last.filename}, line {last.lineno}"


def in_kernel_event_loop() -> bool:
    """True inside a Jupyter kernel (ipykernel's shell) whose event loop runs in this thread."""
    # Read from sys.modules: a script that never imported IPython is no kernel, and the
    # bootstrap imports nothing of IPython's.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None and _get_running_loop() is not None


def allow_sync_orm_in_kernel() -> bool:
    """Set DJANGO_ALLOW_ASYNC_UNSAFE in a kernel running an event loop; True when set.

    ipykernel runs every cell, sync ones too, inside its running event loop, and Django refuses
    a sync ORM call made in a thread that runs one (SynchronousOnlyOperation): no notebook cell
    could query. Nowhere else: in a script or a server it would hide the error a deployment
    raises for a sync ORM call inside a coroutine (the kit reports those as findings instead).
    """
    if not in_kernel_event_loop():
        return False
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return True


def setup(settings: str | None = None, start: Path | str | None = None) -> str:
    """Configure Django once (safe to call again) and return the settings module in use."""
    import django
    from django.apps import apps
    from django.conf import settings as django_settings
    from django.core.exceptions import ImproperlyConfigured

    allow_sync_orm_in_kernel()
    if apps.ready:
        current = os.environ.get("DJANGO_SETTINGS_MODULE") or "settings.configure()"
        if settings and settings != current:
            raise DjangoSetupError(
                f"Django is already set up with {current!r} in this process; restart the "
                f"kernel to use {settings!r}."
            )
        return current
    if apps.loading:
        raise DjangoSetupError(
            "An earlier django.setup() failed half-way in this process; fix the error it "
            "showed and restart the kernel."
        )
    if django_settings.configured:
        module = os.environ.get("DJANGO_SETTINGS_MODULE") or "settings.configure()"
    else:
        module, project_dir = locate_settings(settings, Path(start) if start else None)
        if str(project_dir) not in sys.path:
            sys.path.insert(0, str(project_dir))
        _import_settings(module)
        os.environ["DJANGO_SETTINGS_MODULE"] = module
    try:
        django.setup()
    except (ImportError, ImproperlyConfigured) as exc:
        # Other errors come from the project's own code: their traceback is the useful part.
        raise DjangoSetupError(
            f"django.setup() failed with {type(exc).__name__}: {exc}. Fix it and restart the "
            "kernel."
        ) from exc
    return module
