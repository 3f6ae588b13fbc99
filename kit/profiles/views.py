"""How a Profile shows itself: the render layer's functions, found without importing upward.

The profile layer sits below render (DESIGN.md), yet a Profile's `_repr_html_`, `timeline()`
and `to_html()` are rendered there. `kit/__init__.py`, which every import of the package runs
first, hands this module a loader for `kit.render.views`; the loader runs on the first render,
so `import kit` stays light (no pandas, plotly or IPython until something is shown).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

_loader: Callable[[], ModuleType] | None = None
_loaded: ModuleType | None = None


def set_loader(loader: Callable[[], ModuleType]) -> None:
    """Say how to import the render layer's views (called once, by kit/__init__.py)."""
    global _loader
    _loader = loader


def views() -> ModuleType:
    """The module of render functions a Profile delegates to (kit.render.views)."""
    global _loaded
    if _loaded is None:
        if _loader is None:
            raise RuntimeError("kit.profiles.views has no loader: import kit first.")
        _loaded = _loader()
    return _loaded
