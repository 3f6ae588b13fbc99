"""Cache key patterns, folded like SQL fingerprints: `user_dashboard_42` is `user_dashboard_{n}`.

The one place a key is folded: the tables by key pattern, the counters past the record cap and
the findings all call key_pattern().
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["ALL_KEYS", "cache_expression", "key_pattern", "keys_pattern"]

# What a clear() is about.
ALL_KEYS = "(all keys)"

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# md5 (Django's fragment and cache_page keys), sha1, sha256 as hex.
_HASH = re.compile(r"(?<![0-9a-zA-Z])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-zA-Z])")
# A number, unless it ends a word: `popular_posts_v2` and `md5` are names, `post_42` is not.
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+")


@lru_cache(maxsize=4096)
def key_pattern(key: str) -> str:
    """The key with its variable parts folded: numbers {n}, hex digests {hash}, UUIDs {uuid}."""
    folded = _UUID.sub("{uuid}", key)
    folded = _HASH.sub("{hash}", folded)
    return _NUMBER.sub("{n}", folded)


def keys_pattern(keys: tuple[str, ...]) -> str:
    """One pattern for a call's keys: their distinct patterns in order ("(all keys)": none)."""
    if not keys:
        return ALL_KEYS
    return ", ".join(dict.fromkeys(key_pattern(key) for key in keys))


def cache_expression(alias: str) -> str:
    """How code names the cache of alias: `cache` for the default, else `caches['name']`."""
    return "cache" if alias == "default" else f"caches[{alias!r}]"
