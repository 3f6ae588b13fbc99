"""Capture layer: every query Django sends and every cache call, from any alias and thread."""

from __future__ import annotations

from kit.capture.cache_aliases import resolve_cache_aliases
from kit.capture.cache_hooks import HOOK_MARK, hooked_classes
from kit.capture.cache_recorder import CacheRecorder, capture_cache_calls
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.context import capture_queries, resolve_aliases
from kit.capture.cursor_hook import installed as installed_query_hooks
from kit.capture.recorder import DEFAULT_RECORD_CAP, QueryRecorder, suppress_capture
from kit.capture.records import FingerprintCounter, QueryRecord

__all__ = [
    "DEFAULT_RECORD_CAP",
    "HOOK_MARK",
    "CacheCounter",
    "CacheRecord",
    "CacheRecorder",
    "FingerprintCounter",
    "QueryRecord",
    "QueryRecorder",
    "capture_cache_calls",
    "capture_queries",
    "hooked_classes",
    "installed_query_hooks",
    "resolve_aliases",
    "resolve_cache_aliases",
    "suppress_capture",
]
