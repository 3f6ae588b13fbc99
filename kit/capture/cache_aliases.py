"""Which configured cache alias a backend instance is, and the backend classes of aliases.

django.core.cache.caches keeps one backend instance per alias per thread (and per async
context): the hooks see an instance, never its alias. An instance is looked up once per block
and remembered by identity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django.utils.module_loading import import_string

from kit.capture.aliases import choose_aliases, require_django

# id(instance) -> (instance, alias or None). The instance is kept so that its id cannot be
# reused by another object while the entry lives; forget_instances() empties it after the block.
_known: dict[int, tuple[Any, str | None]] = {}
_lock = threading.Lock()


def resolve_cache_aliases(cache: bool | str | Sequence[str] | None) -> tuple[str, ...]:
    """The cache aliases to capture: all configured ones (None, True), none (False), or those
    named (checked against settings.CACHES)."""
    require_django()
    if cache is False:
        return ()
    return choose_aliases(None if cache is True else cache, tuple(caches), "CACHES", "cache")


def backend_class(alias: str) -> type:
    """The backend class settings.CACHES names for alias (imported, not instantiated)."""
    return import_string(caches.settings[alias]["BACKEND"])  # type: ignore[no-any-return]


def importable_backend(alias: str) -> type | None:
    """backend_class(alias), or None when it cannot be imported: such an alias makes no call
    (Django fails on its first use), and an unused broken alias must not stop a profile."""
    try:
        return backend_class(alias)
    except ImportError:
        return None


def alias_of(instance: Any) -> str | None:
    """The alias the instance serves, or None for a backend that no alias configures."""
    entry = _known.get(id(instance))
    if entry is not None and entry[0] is instance:
        return entry[1]
    alias = _find_alias(instance)
    with _lock:
        _known[id(instance)] = (instance, alias)
    return alias


def forget_instances() -> None:
    """Drop the instances seen (called when the last block capturing cache calls ends)."""
    with _lock:
        _known.clear()


def _find_alias(instance: Any) -> str | None:
    # The hook runs in the thread that made the call, so this thread's caches hold the instance
    # when it came from caches[alias] (or django.core.cache.cache), however long ago.
    # caches._connections is Django's per-thread/per-context store (an asgiref Local; Django
    # 3.2-5.2, BaseConnectionHandler).
    local = caches._connections
    configured = tuple(caches)
    for alias in configured:
        if getattr(local, alias, None) is instance:
            return alias
    # An instance made another way (caches.create_connection(), a backend class called by
    # hand): the alias whose backend class it is, when only one has it, else the one whose
    # location, prefix and version match.
    candidates = [a for a in configured if importable_backend(a) is type(instance)]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    place = _place(instance)
    for alias in candidates:
        if _place(caches.create_connection(alias)) == place:
            return alias
    return None


def _place(instance: Any) -> tuple[Any, ...]:
    """Where a backend keeps its entries: what tells two aliases of one backend class apart."""
    # The attributes Django's backends set from LOCATION (Django 5.2): _servers (Redis,
    # memcached), _dir (files), _table (database), _cache (local memory: the dict shared by
    # every instance of one LOCATION).
    state = vars(instance)
    shared = state.get("_cache")
    return (
        type(instance),
        getattr(instance, "key_prefix", None),
        getattr(instance, "version", None),
        repr(state.get("_servers")),
        state.get("_dir"),
        state.get("_table"),
        id(shared) if isinstance(shared, dict) else None,
    )
