"""What `%load_ext kit` installs and `%unload_ext kit` removes: the magics, %config, one hook,
the input transformer for cells with top-level await.

In a Jupyter kernel it also starts warming the render path in the background (kit.magics.warmup).
"""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from traitlets import TraitError

from kit.bootstrap import setup
from kit.errors import KitUsageError
from kit.magics.async_cells import AsyncCells
from kit.magics.orm_explain import OrmExplain
from kit.magics.orm_profile import OrmProfile
from kit.magics.progress import in_kernel
from kit.magics.warmup import start_warm_up

MAGIC_CLASSES = (OrmProfile, OrmExplain)


class AutoSetup:
    """pre_run_cell hook: configure Django before the first cell, so models import right away."""

    def __init__(self) -> None:
        self.tried = False

    def __call__(self, info: Any = None) -> None:
        if self.tried:
            return
        # A %%orm_profile cell configures Django itself, with its own --settings.
        if (getattr(info, "raw_cell", None) or "").lstrip().startswith("%%orm_profile"):
            return
        self.tried = True
        try:
            setup()
        except KitUsageError as exc:
            print(f"kit: {exc}", file=sys.stderr)


def register(shell: InteractiveShell) -> None:
    """Register the magics, their %config options, and the hook that sets Django up."""
    unregister(shell)  # a second %load_ext (or %reload_ext) replaces, never doubles
    drop_refused_config(shell)
    magics = OrmProfile(shell=shell)
    shell.register_magics(magics)
    shell.register_magics(OrmExplain(shell, config_source=magics))
    shell.configurables.append(magics)
    hook = AutoSetup()
    _hooks[id(shell)] = hook
    shell.events.register("pre_run_cell", hook)
    # Cells with top-level await run as IPython runs them (kit.magics.async_cells).
    shell.input_transformers_post.append(AsyncCells(shell))
    if in_kernel(shell):
        # The first cell's outputs waited seconds for imports and the PNG browser: done now,
        # in the background (kit.render.warm).
        start_warm_up(magics.static_images)


def drop_refused_config(shell: InteractiveShell) -> None:
    """Remove the %config values OrmProfile refuses from the shell's config.

    IPython's %config merges a value into the shell's own config even when OrmProfile refused
    it (one logged line): the next %load_ext kit would then fail on it with a traceback.
    """
    section = shell.config.get("OrmProfile")
    if not section:
        return
    probe = OrmProfile()  # no shell: validates a value, registers nothing
    for name, value in list(section.items()):
        try:
            setattr(probe, name, value)
        except TraitError:
            del section[name]


# One AutoSetup hook per shell, so unregister removes exactly the one register added.
_hooks: dict[int, AutoSetup] = {}


def unregister(shell: InteractiveShell) -> None:
    """Remove what register() added."""
    manager = shell.magics_manager
    manager.magics["cell"].pop("orm_profile", None)
    manager.magics["line"].pop("orm_explain", None)
    hook = _hooks.pop(id(shell), None)
    if hook is not None and hook in shell.events.callbacks["pre_run_cell"]:
        shell.events.unregister("pre_run_cell", hook)
    shell.configurables[:] = [c for c in shell.configurables if not isinstance(c, OrmProfile)]
    shell.input_transformers_post[:] = [
        t for t in shell.input_transformers_post if not isinstance(t, AsyncCells)
    ]
    for cls in MAGIC_CLASSES:
        manager.registry.pop(cls.__name__, None)
