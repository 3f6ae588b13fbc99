"""Find and fix slow Django ORM code from a notebook: ``%load_ext kit``, then ``%%orm_profile``.

In scripts and tests::

    import kit
    with kit.profile() as p:
        ...
    p.query_count, p.db_time_ms, p.wall_time_ms, p.queries
    p.findings, p.n_plus_one, p.by_fingerprint, p.by_table, p.to_dataframe()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kit.analysis.findings import Finding
from kit.api import profile
from kit.bootstrap import setup
from kit.capture.records import QueryRecord
from kit.errors import DjangoSetupError, KitUsageError, UnknownAliasError
from kit.render.profile import Profile

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__version__ = "0.1.0"

__all__ = [
    "DjangoSetupError",
    "Finding",
    "KitUsageError",
    "Profile",
    "QueryRecord",
    "UnknownAliasError",
    "load_ipython_extension",
    "profile",
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
