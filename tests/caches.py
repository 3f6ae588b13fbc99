"""Cache settings for the tests: one alias per backend, Redis from REDIS_URL, unique prefixes.

Every test gets its own KEY_PREFIX, so tests (and other test runs sharing a Redis server) never
see each other's keys, and no test calls clear() on a shared backend.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
DATABASE = "django.core.cache.backends.db.DatabaseCache"
FILES = "django.core.cache.backends.filebased.FileBasedCache"
CACHE_TABLE = "kit_test_cache"
# CI runs Redis on loopback in every run and sets REDIS_URL for one of them (.ci/run).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """The Redis server the tests use: REDIS_URL, else the local default."""
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def require_redis() -> str:
    """redis_url(), or a skip (a failure in CI) without the redis client or a server there."""
    try:
        import redis
    except ImportError:
        pytest.skip("the redis client is not installed: make test EXTRAS=redis")

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis server at {url}: {exc}")
    return url


def prefix() -> str:
    """A key prefix no other test uses."""
    return f"kit-test-{uuid.uuid4().hex[:12]}"


def settings_for(backend: str, tmp_path: Path | None = None, **extra: Any) -> dict[str, Any]:
    """One alias's CACHES entry for backend, with a fresh KEY_PREFIX."""
    entry: dict[str, Any] = {"BACKEND": backend, "KEY_PREFIX": prefix(), **extra}
    if backend == LOCMEM:
        entry.setdefault("LOCATION", entry["KEY_PREFIX"])
    elif backend == REDIS:
        entry["LOCATION"] = require_redis()
    elif backend == DATABASE:
        entry["LOCATION"] = CACHE_TABLE
    elif backend == FILES:
        if tmp_path is None:
            raise ValueError("the file cache needs a directory: pass tmp_path.")
        entry["LOCATION"] = str(tmp_path / "cache")
    return entry
