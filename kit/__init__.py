"""Find and fix slow Django ORM code from a notebook: ``%load_ext kit``, then ``%%orm_profile``.

In scripts and tests::

    import kit
    with kit.profile() as p:
        ...
    p.query_count, p.db_time_ms, p.wall_time_ms, p.queries
    p.findings, p.n_plus_one, p.by_fingerprint, p.by_table, p.to_dataframe()
    p.save("before.json"); kit.load("before.json"); kit.compare(before, after)
    kit.figure(fig)   # any plotly figure with a PNG copy, for GitHub and nbconvert
    with kit.query_budget(max_queries=5, n_plus_one=False): ...
    p = kit.profile_request(None, "/posts/")   # one request through Django's test client
    kit.verify(show_posts, Post.objects.all(), fix=lambda qs: qs.select_related("author"))

`import kit` imports nothing else: each name below loads its module on first use, so a
project with "kit" in INSTALLED_APPS starts as fast as without it.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kit.profiles.views import set_loader

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from kit.analysis.budget import Budget
    from kit.analysis.findings import Finding
    from kit.bootstrap import setup
    from kit.capture.records import QueryRecord
    from kit.django.requests import profile_request
    from kit.errors import (
        DjangoSetupError,
        KitUsageError,
        ProfileFormatError,
        UnknownAliasError,
    )
    from kit.profiles.block import profile
    from kit.profiles.load import load_profile as load
    from kit.profiles.profile import Profile
    from kit.profiles.replay import verify
    from kit.render.budget import BudgetExceeded, query_budget
    from kit.render.compare import Comparison, compare
    from kit.render.figures import static_figure as figure
    from kit.render.report import write_report as report

__version__ = "0.1.0"

# Public name -> (module, attribute): imported on first access (PEP 562).
_LAZY = {
    "Budget": ("kit.analysis.budget", "Budget"),
    "BudgetExceeded": ("kit.render.budget", "BudgetExceeded"),
    "Comparison": ("kit.render.compare", "Comparison"),
    "DjangoSetupError": ("kit.errors", "DjangoSetupError"),
    "Finding": ("kit.analysis.findings", "Finding"),
    "KitUsageError": ("kit.errors", "KitUsageError"),
    "Profile": ("kit.profiles.profile", "Profile"),
    "ProfileFormatError": ("kit.errors", "ProfileFormatError"),
    "QueryRecord": ("kit.capture.records", "QueryRecord"),
    "UnknownAliasError": ("kit.errors", "UnknownAliasError"),
    "compare": ("kit.render.compare", "compare"),
    "figure": ("kit.render.figures", "static_figure"),
    "load": ("kit.profiles.load", "load_profile"),
    "profile": ("kit.profiles.block", "profile"),
    "profile_request": ("kit.django.requests", "profile_request"),
    "query_budget": ("kit.render.budget", "query_budget"),
    "report": ("kit.render.report", "write_report"),
    "setup": ("kit.bootstrap", "setup"),
    "verify": ("kit.profiles.replay", "verify"),
}

__all__ = [
    "Budget",
    "BudgetExceeded",
    "Comparison",
    "DjangoSetupError",
    "Finding",
    "KitUsageError",
    "Profile",
    "ProfileFormatError",
    "QueryRecord",
    "UnknownAliasError",
    "compare",
    "figure",
    "load",
    "load_ipython_extension",
    "profile",
    "profile_request",
    "query_budget",
    "report",
    "setup",
    "unload_ipython_extension",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def _render_views() -> ModuleType:
    from kit.render import views

    return views


# A Profile renders through the render layer, which sits above it: kit.profiles.views says why.
set_loader(_render_views)


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """`%load_ext kit`: register %%orm_profile and %orm_explain (nothing happens at import)."""
    from kit.magics.extension import register

    register(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """`%unload_ext kit`: remove the magics and their configurable; no hook stays installed."""
    from kit.magics.extension import unregister

    unregister(ipython)
