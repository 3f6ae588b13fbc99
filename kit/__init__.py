"""Find and fix slow Django ORM code from a notebook: ``%load_ext kit``, then ``%%orm_profile``.

In scripts and tests::

    import kit
    with kit.profile() as p:
        ...
    p.query_count, p.db_time_ms, p.wall_time_ms, p.queries
    p.findings, p.n_plus_one, p.by_fingerprint, p.by_table, p.to_dataframe()
    p.save("before.json"); kit.load("before.json"); kit.compare(before, after)
    with kit.query_budget(max_queries=5, n_plus_one=False): ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kit.analysis.findings import Finding
from kit.api import load, profile, report
from kit.bootstrap import setup
from kit.budgets import Budget, BudgetExceeded, query_budget
from kit.capture.records import QueryRecord
from kit.errors import DjangoSetupError, KitUsageError, ProfileFormatError, UnknownAliasError
from kit.render.compare import Comparison, compare
from kit.render.profile import Profile

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__version__ = "0.1.0"

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
    "load",
    "load_ipython_extension",
    "profile",
    "query_budget",
    "report",
    "setup",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """`%load_ext kit`: register %%orm_profile (and nothing else happens at import)."""
    from kit.magic import register

    register(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """`%unload_ext kit`: remove the magics and their configurable; no hook stays installed."""
    from kit.magic import unregister

    unregister(ipython)
